#!/usr/bin/env bash
# Hostile-input battery for the transferscope CLI (issue 15): ~360 bad files, flags, study files
# and output paths, each of which must end in a clear error (exit 1 or 64), never a crash.
#
#   bash scripts/hostile-inputs/battery.sh .build/release/transferscope results.md
#
# Creates every bad input in a fresh temp dir (gen_inputs.py next to this script, run with
# $PY, default python3; needs numpy), runs each case under `timeout` and `ulimit -v 8000000`, and writes
# a markdown table to $2 (full stdout/stderr of each case in ${2%.md}.logs/).
#
# Status per case:
#   CRASH     exit >= 128 (signal; 132 SIGILL = Swift trap, 134 abort, 137 kill/OOM, 139 segv)
#   TIMEOUT   exit 124
#   OK-ERROR  exit 1..127 with a message on stderr (ERR-NOMSG: without one)
#   SILENT    exit 0 where an error was expected
#   OK        exit 0 where success is acceptable (controls, or "either is fine" cases: any)
# Message: for crashes, the Swift runtime failure / signal line and the first frame in Sources/;
# otherwise the last stderr line starting 'Error:', else the last non-empty stderr line (first 200 chars).
#
# Environment: TIMEOUT (default 60 s per case), PY, KEEP=1 keeps the temp dir.
set -u
if [ $# -lt 2 ]; then echo "usage: $0 TRANSFERSCOPE_BINARY RESULTS.md" >&2; exit 2; fi
TS=$(realpath "$1")
OUTFILE=$(realpath -m "$2")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PY:-python3}
TIMEOUT=${TIMEOUT:-60}
[ -x "$TS" ] || { echo "not executable: $TS" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/tsbattery.XXXXXX")
LOGS="${OUTFILE%.md}.logs"
rm -rf "$LOGS"; mkdir -p "$LOGS" "$(dirname "$OUTFILE")"
ROWS="$W/rows.md"; : > "$ROWS"
export TRANSFERSCOPE_THREADS=${TRANSFERSCOPE_THREADS:-2}
export TRANSFERSCOPE_DATA="$W/data-cache"
cd "$W" || exit 2
I="$W/in"          # generated inputs
O="$W/o"           # outputs of the cases
mkdir -p "$O"
START=$(date +%s)

# tiny, fast defaults
P="procedural:train=64,test=32,side=8"
TINY=(--model resnet8 --widths 4,8,16 --epochs 1 --batch-size 16 --train-eval-size 0)

abbrev() {  # the command line, shortened for the table
    local s="$*"
    s=${s//"$TS"/ts}; s=${s//"$W/"/}; s=${s//" --model resnet8 --widths 4,8,16 --epochs 1 --batch-size 16 --train-eval-size 0"/ TINY}
    s=${s//procedural:train=64,test=32,side=8/PROC}
    s=${s//|/\\|}
    [ ${#s} -gt 150 ] && s="${s:0:147}..."
    printf '%s' "$s"
}

message() {  # $1 stderr file, $2 stdout file, $3 rc
    local err=$1 out=$2 rc=$3 m=""
    if [ "$rc" -ge 128 ] || [ "$rc" -eq 124 ]; then
        local fail frame
        fail=$(tr '\r' '\n' < "$err" | grep -a -m1 -E 'Swift runtime failure|Fatal error|fatal error|Program crashed|precondition|Assertion' | sed -E 's/^\*\*\* //; s/ \*\*\*$//')
        if printf '%s' "$fail" | grep -q 'Program crashed'; then
            # no runtime message: name the innermost function instead
            local fn
            fn=$(grep -a -m1 -E '^ +0 ' "$err" | sed -E 's/.*0x[0-9a-f]+ //; s/ in transferscope at.*//; s/ \+ [0-9]+$//')
            fail="${fail% at 0x*} in ${fn}"
        fi
        [ -z "$fail" ] && fail=$(tr '\r' '\n' < "$err" | grep -a -m1 -E '^\*\*\* Signal' | sed -E 's/^\*\*\* //; s/: Backtracing.*//')
        frame=$(grep -a -o -m1 -E ' at [^ ]*/Sources/[^ ]+\.swift:[0-9]+' "$err" | head -1 | sed -E 's#.*/Sources/##')
        if [ -n "$frame" ]; then
            m="${fail:-signal $((rc - 128))} @ $frame"
        else
            m="$fail"
        fi
    fi
    if [ -z "$m" ]; then   # an 'Error:' line if there is one (ArgumentParser adds usage lines after it)
        m=$(tr '\r' '\n' < "$err" | sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g' | grep -a -E '^Error:' | tail -1)
    fi
    if [ -z "$m" ]; then
        m=$(tr '\r' '\n' < "$err" | sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g' | grep -a -v -E '^\s*$' | tail -1)
    fi
    if [ -z "$m" ]; then
        m=$(tr '\r' '\n' < "$out" | grep -a -v -E '^\s*$' | tail -1)
        [ -n "$m" ] && m="(stdout) $m"
    fi
    m=$(printf '%s' "$m" | tr -d '\000-\010\013-\037' | tr '\n\t' '  ')
    m=${m//|/\\|}
    printf '%s' "${m:0:200}"
}

status_of() {  # rc expect errfile
    local rc=$1 expect=$2 err=$3
    if [ "$rc" -eq 124 ]; then echo TIMEOUT
    elif [ "$rc" -ge 128 ]; then echo CRASH
    elif [ "$rc" -ge 1 ]; then
        if grep -a -q -v -E '^\s*$' "$err"; then echo OK-ERROR; else echo ERR-NOMSG; fi
    elif [ "$expect" = err ]; then echo SILENT
    else echo OK
    fi
}

record() {  # id expect rc elapsed cmd...
    local id=$1 expect=$2 rc=$3 secs=$4; shift 4
    local st msg
    st=$(status_of "$rc" "$expect" "$LOGS/$id.stderr")
    msg=$(message "$LOGS/$id.stderr" "$LOGS/$id.stdout" "$rc")
    [ "$rc" -ge 128 ] && [ "$rc" -ne 124 ] && msg="sig $((rc - 128)): $msg"
    printf '| %s | %s | %s | %s | `%s` | %s |\n' "$id" "$st" "$rc" "$secs" "$(abbrev "$@")" "$msg" >> "$ROWS"
    printf '%-26s %-9s rc=%-4s %5ss %s\n' "$id" "$st" "$rc" "$secs" "${msg:0:110}"
}

# run_case ID EXPECT CMD...   (EXPECT: err = must fail, ok/any = exit 0 acceptable)
# TO=secs before the call overrides the timeout for that case.
run_case() {
    local id=$1 expect=$2; shift 2
    local to=${TO:-$TIMEOUT} t0 rc
    t0=$(date +%s)
    { ( ulimit -v 8000000; exec timeout -k 5 "$to" "$@" ) > "$LOGS/$id.stdout" 2> "$LOGS/$id.stderr" < /dev/null; } 2> /dev/null
    rc=$?
    record "$id" "$expect" "$rc" "$(( $(date +%s) - t0 ))" "$@"
}

train() { local id=$1 expect=$2; shift 2; run_case "$id" "$expect" "$TS" train --out "$O/$id" "$@"; }
trainp() { local id=$1 expect=$2; shift 2; train "$id" "$expect" --data "$P" "${TINY[@]}" "$@"; }
evalc() { local id=$1 expect=$2 ck=$3; shift 3; run_case "$id" "$expect" "$TS" eval "$ck" --data "$P" "$@"; }

echo "== battery: $TS  (work dir $W)"

# ------------------------------------------------------------------ setup: valid checkpoints
( ulimit -v 8000000
  "$TS" train --data "$P" "${TINY[@]}" --checkpoint-epochs all --out "$W/good" > "$LOGS/setup-good.log" 2>&1
  "$TS" train --data "$P" --model resnet8 --widths 8,8,16 --epochs 1 --batch-size 16 --train-eval-size 0 --out "$W/good-w8" >> "$LOGS/setup-good.log" 2>&1
  "$TS" train --data "procedural:train=64,test=32,side=8,channels=3" "${TINY[@]}" --out "$W/good-rgb" >> "$LOGS/setup-good.log" 2>&1 )
G="$W/good/final.safetensors"; G0="$W/good/checkpoints/epoch-0000.safetensors"
GW8="$W/good-w8/final.safetensors"; GRGB="$W/good-rgb/final.safetensors"
if [ ! -f "$G" ]; then echo "setup failed: no $G (see $LOGS/setup-good.log)" >&2; exit 3; fi
"$PY" "$HERE/gen_inputs.py" "$I" "$G" > "$LOGS/setup-gen.log" 2>&1 || { echo "gen_inputs.py failed, see $LOGS/setup-gen.log" >&2; exit 3; }
echo "file contents" > "$W/regular_file"
mkdir -p "$W/ro" && chmod 555 "$W/ro"
mkdir -p "$W/ckdir"

# ------------------------------------------------------------------ controls (must pass)
evalc ctl_eval ok "$G"
trainp ctl_train ok
run_case ctl_distance ok "$TS" analyze distance "$G" "$G0" --out "$O/ctl_distance"

# ------------------------------------------------------------------ checkpoint metadata
for c in negwidth negclasses zeroclasses hugeclasses zeroblocks hugeblocks hugewidth stagemismatch emptywidths \
         negstem inch0 badblock archnotjson noarch shape_chmismatch shape_side0 shape_sideneg shape_sidehuge shape_ch0 noshape \
         norm_std0 norm_stdneg norm_stdtiny norm_3ch norm_0ch norm_nan norm_inf norm_strnan norm_garbage; do
    TO=30 evalc "meta_${c}_eval" err "$I/m_$c.st"
done
for c in negwidth zeroclasses hugeblocks hugewidth stagemismatch emptywidths shape_side0 shape_sidehuge shape_chmismatch norm_std0 norm_3ch norm_nan; do
    TO=30 trainp "meta_${c}_init" err --init "$I/m_$c.st"
done
TO=30 trainp meta_norm_std0_normflag err --normalization "$I/m_norm_std0.st"
TO=30 trainp meta_norm_nan_normflag err --normalization "$I/m_norm_nan.st"
TO=30 run_case meta_negwidth_distance err "$TS" analyze distance "$I/m_negwidth.st" "$G" --out "$O/meta_negwidth_distance"
TO=30 run_case meta_hugeblocks_distance err "$TS" analyze distance "$G" "$I/m_hugeblocks.st" --out "$O/meta_hugeblocks_distance"
TO=30 run_case meta_side0_cka err "$TS" analyze cka --a "$I/m_shape_side0.st" --b "$G" --data "$P" --images 8 --out "$O/meta_side0_cka"
TO=30 run_case meta_std0_cka err "$TS" analyze cka --a "$G" --b "$I/m_norm_std0.st" --data "$P" --images 8 --out "$O/meta_std0_cka"
TO=30 run_case meta_zerocls_interp err "$TS" analyze interpolate "$G" "$I/m_zeroclasses.st" --points 3 --train-images 16 --bn-batches 1 --data "$P" --out "$O/meta_zerocls_interp"
TO=30 run_case meta_negw_crit err "$TS" analyze criticality "$G" --start "$I/m_negwidth.st" --alphas 2 --sigmas 1 --samples 1 --train-images 8 --data "$P" --out "$O/meta_negw_crit"
TO=30 run_case meta_negw_inspect err "$TS" model inspect "$I/m_negwidth.st"

# ------------------------------------------------------------------ checkpoint tensors
evalc ten_nan_eval err "$I/t_nan.st"
evalc ten_inf_eval err "$I/t_inf.st"
evalc ten_allnan_fc_eval err "$I/t_allnan.st"
evalc ten_negvar_eval err "$I/t_negvar.st"
evalc ten_nanvar_eval err "$I/t_nanvar.st"
trainp ten_nan_init err --init "$I/t_nan.st"
trainp ten_negvar_init err --init "$I/t_negvar.st"
run_case ten_nan_distance err "$TS" analyze distance "$I/t_nan.st" "$G" --out "$O/ten_nan_distance"
run_case ten_nan_cka err "$TS" analyze cka --a "$I/t_nan.st" --b "$G" --data "$P" --images 8 --out "$O/ten_nan_cka"
run_case ten_nan_interp err "$TS" analyze interpolate "$G" "$I/t_nan.st" --points 3 --train-images 16 --bn-batches 1 --data "$P" --out "$O/ten_nan_interp"

# ------------------------------------------------------------------ safetensors structure
for c in trunc trunc_hdr empty 7bytes hdrhuge hdrffff hdr99m notjson jsonarray shapeovf shapeovf2 shapeovf3 shapeneg shapefloat \
         offbeyond offhuge offneg offrev overlap dtype dtypef16 dtypenum missing extra wrongshape metaint metalist i64bn; do
    TO=30 evalc "st_${c}_eval" err "$I/s_$c.st"
done
evalc st_dir_eval err "$W/ckdir"
evalc st_nonexistent_eval err "$W/does-not-exist.safetensors"
evalc st_devnull_eval err /dev/null
trainp st_shapeovf_init err --init "$I/s_shapeovf.st"
trainp st_trunc_init err --init "$I/s_trunc.st"
trainp st_dir_init err --init "$W/ckdir"
run_case st_shapeovf2_distance err "$TS" analyze distance "$G" "$I/s_shapeovf2.st" --out "$O/st_shapeovf2_distance"

# ------------------------------------------------------------------ IDX
IDX_TINY=(--model resnet8 --widths 4,8,16 --epochs 1 --batch-size 16 --train-eval-size 0)
idxc() { local id=$1 expect=$2 spec=$3; shift 3; train "$id" "$expect" --data "idx:$spec" "${IDX_TINY[@]}" "$@"; }
idxc idx_control ok "$I/idx_img.idx,$I/idx_lbl.idx"
idxc idx_ovf4 err "$I/idx_ovf.idx,$I/idx_lbl.idx"
idxc idx_ovf3 err "$I/idx_ovf3.idx,$I/idx_lbl.idx"
idxc idx_zero_hw err "$I/idx_zero.idx,$I/idx_lbl.idx"
idxc idx_zero_n err "$I/idx_zeroN.idx,$I/idx_lbl0.idx"
TO=30 idxc idx_lbl255 err "$I/idx_img10.idx,$I/idx_lbl255.idx"
idxc idx_oneclass err "$I/idx_img.idx,$I/idx_lbl1class.idx"
idxc idx_countmismatch err "$I/idx_img.idx,$I/idx_lbl39.idx"
idxc idx_trunc err "$I/idx_trunc.idx,$I/idx_lbl.idx"
idxc idx_trunchdr err "$I/idx_trunchdr.idx,$I/idx_lbl.idx"
idxc idx_4d_c2 err "$I/idx_4d_c2.idx,$I/idx_lbl.idx"
idxc idx_1x1 err "$I/idx_1x1.idx,$I/idx_lbl.idx"
idxc idx_float err "$I/idx_float.idx,$I/idx_lbl.idx"
idxc idx_ndim0 err "$I/idx_ndim0.idx,$I/idx_lbl.idx"
idxc idx_3paths err "$I/idx_img.idx,$I/idx_lbl.idx,$I/idx_img.idx"
idxc idx_test_morecls err "$I/idx_img.idx,$I/idx_lbl1class.idx,$I/idx_img.idx,$I/idx_lbl.idx"
TO=30 run_case idx_lbl255_eval err "$TS" eval "$G" --data "idx:$I/idx_img10.idx,$I/idx_lbl255.idx"

# ------------------------------------------------------------------ NPY
npyc() { local id=$1 expect=$2 spec=$3; shift 3; train "$id" "$expect" --data "npy:$spec" "${IDX_TINY[@]}" "$@"; }
L="$I/npy_lbl.npy"
npyc npy_control ok "$I/npy_img.npy,$L"
npyc npy_shapeovf err "$I/npy_shapeovf.npy,$L"
npyc npy_shapeovf_f4 err "$I/npy_shapeovf2.npy,$L"
npyc npy_shape_gt_int err "$I/npy_shapehuge.npy,$L"
npyc npy_zero_hw err "$I/npy_zero.npy,$L"
npyc npy_nan_later err "$I/npy_nanlater.npy,$L"
npyc npy_nan_first err "$I/npy_nanfirst.npy,$L"
npyc npy_inf err "$I/npy_inf.npy,$L"
npyc npy_negfloat err "$I/npy_negf.npy,$L"
TO=30 npyc npy_lbl_2p40 err "$I/npy_img.npy,$I/npy_lbl2p40.npy"
npyc npy_lbl_neg err "$I/npy_img.npy,$I/npy_lblneg.npy"
TO=40 npyc npy_lbl_16711680 err "$I/npy_img.npy,$I/npy_lbl16m.npy"
npyc npy_lbl_u64max err "$I/npy_img.npy,$I/npy_lblu64max.npy"
npyc npy_lbl_float err "$I/npy_img.npy,$I/npy_lblfloat.npy"
npyc npy_hdrhuge err "$I/npy_hdrhuge.npy,$L"
npyc npy_fortran err "$I/npy_fortran.npy,$L"
npyc npy_bigendian err "$I/npy_img.npy,$I/npy_bigendian.npy"
npyc npy_noshape err "$I/npy_noshape.npy,$L"
npyc npy_v2hdrhuge err "$I/npy_v2hdrhuge.npy,$L"
npyc npy_trunc err "$I/npy_trunc.npy,$L"
npyc npy_dir err "$W/ckdir,$L"

# ------------------------------------------------------------------ CSV
csvc() { local id=$1 expect=$2 spec=$3; shift 3; train "$id" "$expect" --data "csv:$spec" "${IDX_TINY[@]}" "$@"; }
csvc csv_control ok "$I/csv_good.csv"
csvc csv_20digit_pixel err "$I/csv_20digit.csv"
csvc csv_20digit_label err "$I/csv_20digitlabel.csv"
TO=30 csvc csv_label_2p40 err "$I/csv_label2p40.csv"
csvc csv_label_neg err "$I/csv_labelneg.csv"
csvc csv_neg_pixel err "$I/csv_negpixel.csv"
csvc csv_ragged err "$I/csv_ragged.csv"
csvc csv_empty err "$I/csv_empty.csv"
csvc csv_header_only err "$I/csv_header.csv"
csvc csv_one_column err "$I/csv_1col.csv"
csvc csv_minus_only err "$I/csv_minus.csv"
csvc csv_3paths err "$I/csv_good.csv,$I/csv_good.csv,$I/csv_good.csv"

# ------------------------------------------------------------------ image folders
train folder_corrupt err --data "$I/folder_bad" "${IDX_TINY[@]}"
train folder_corrupt_skip err --data "$I/folder_bad" --skip-corrupt "${IDX_TINY[@]}"
train folder_empty err --data "$I/folder_empty" "${IDX_TINY[@]}"
TO=30 train folder_size_100000 err --data "$I/folder_bad" --skip-corrupt --folder-image-size 100000 "${IDX_TINY[@]}"

# ------------------------------------------------------------------ procedural spec
procc() { local id=$1 expect=$2 spec=$3; shift 3; train "$id" "$expect" --data "$spec" "${TINY[@]}" "$@"; }
procc proc_side_nan err "procedural:train=64,test=32,side=nan"
procc proc_side_inf err "procedural:train=64,test=32,side=inf"
procc proc_side_1e300 err "procedural:train=64,test=32,side=1e300"
TO=30 procc proc_side_1e5 err "procedural:train=64,test=32,side=100000"
procc proc_train_neg5 err "procedural:train=-5,test=32,side=8"
procc proc_train_0 err "procedural:train=0,test=32,side=8"
procc proc_test_1e300 err "procedural:train=64,test=1e300,side=8"
procc proc_test_0 err "procedural:train=64,test=0,side=8"
procc proc_seed_neg1 err "procedural:train=64,test=32,side=8,seed=-1"
procc proc_seed_nan err "procedural:train=64,test=32,side=8,seed=nan"
procc proc_classes_0 err "procedural:train=64,test=32,side=8,classes=0"
procc proc_channels_2 err "procedural:train=64,test=32,side=8,channels=2"
procc proc_shift_nan err "procedural:train=64,test=32,side=8,shift=nan"
procc proc_shift_inf err "procedural:train=64,test=32,side=8,shift=inf"
procc proc_unknown_key err "procedural:train=64,test=32,side=8,colour=red"
procc proc_no_value err "procedural:train=64,test=32,side"
procc proc_side_8p9 any "procedural:train=64,test=32,side=8.9"
procc proc_train_3 any "procedural:train=3,test=3,side=8"
run_case unknown_dataset err "$TS" train --data no-such-dataset "${TINY[@]}" --out "$O/unknown_dataset"

# ------------------------------------------------------------------ flags
trainp flag_per_class_m1 err --per-class=-1
trainp flag_per_class_0 err --per-class=0
trainp flag_subsample_m3 err --subsample=-3
trainp flag_subsample_0 err --subsample=0
trainp flag_subsample_huge any --subsample=1000000
trainp flag_train_eval_m5 err --train-eval-size=-5
TO=20 trainp flag_epochs_intmax_all err --epochs 9223372036854775807 --checkpoint-epochs all
TO=20 trainp flag_epochs_intmax err --epochs 9223372036854775807
trainp flag_epochs_m1 err --epochs=-1
TO=30 trainp flag_size_100000 err --size 100000
trainp flag_size_m8 err --size=-8
TO=30 trainp flag_size_5000 err --size 5000
TO=30 train flag_widths_1e9 err --data "$P" --model resnet8 --widths 1000000000,2,3 --epochs 1 --batch-size 16 --train-eval-size 0
train flag_widths_000 err --data "$P" --model resnet8 --widths 0,0,0 --epochs 1 --batch-size 16 --train-eval-size 0
train flag_widths_2 err --data "$P" --model resnet8 --widths 4,8 --epochs 1 --batch-size 16 --train-eval-size 0
train flag_widths_empty err --data "$P" --model resnet8 --widths "" --epochs 1 --batch-size 16 --train-eval-size 0
trainp flag_batch_0 err --batch-size=0
trainp flag_batch_huge any --batch-size 1000000
trainp flag_lr_m01_eq err --lr=-0.1
trainp flag_lr_m01_sp err --lr -0.1
trainp flag_lr_nan err --lr nan
trainp flag_lr_inf err --lr inf
trainp flag_lr_1e308 err --lr 1e308
trainp flag_threads_0 err --threads=0
TO=30 trainp flag_threads_100000 any --threads 100000
trainp flag_test_fraction_0 err --test-fraction 0
trainp flag_test_fraction_nan err --test-fraction nan
TO=30 trainp flag_crop_100000 any --crop-padding 100000
trainp flag_log_every_0 any --log-every 0
trainp flag_log_every_m1 any --log-every=-1
trainp flag_gamma_nan err --gamma nan --schedule step
trainp flag_gamma_nan_cosine any --gamma nan
trainp flag_momentum_nan err --momentum nan
trainp flag_momentum_inf err --momentum inf
trainp flag_wd_nan err --weight-decay nan
trainp flag_warmup_m1 err --warmup-epochs=-1
trainp flag_warmup_nan err --warmup-epochs nan
trainp flag_warmup_inf err --warmup-epochs inf
trainp flag_milestones_0m1 err --schedule step --milestones 0,-1
trainp flag_milestones_0 err --schedule step --milestones 0
trainp flag_ckpt_epochs_99 err --checkpoint-epochs 99
trainp flag_ckpt_epochs_empty err --checkpoint-epochs ""
trainp flag_block_shuffle_3 err --block-shuffle 3
trainp flag_block_shuffle_huge err --block-shuffle 1000000
trainp flag_freeze_bogus err --freeze bogus.module
trainp flag_freeze_all any --freeze stem,layer1.0,layer2.0,layer3.0,fc
trainp flag_channels_2 err --channels 2
trainp flag_norm_missing err --normalization /nonexistent.safetensors
trainp flag_norm_rgb_ckpt err --normalization "$GRGB"
trainp flag_init_rgb_on_gray any --init "$GRGB"
trainp flag_split_seed_neg err --split-seed=-1
run_case flag_eval_batch_0 err "$TS" eval "$G" --data "$P" --batch-size 0
run_case flag_eval_split_bad err "$TS" eval "$G" --data "$P" --split valid
run_case flag_eval_wrong_classes err "$TS" eval "$G" --data "procedural:train=64,test=32,side=8,classes=3"
run_case flag_eval_rgb_on_gray any "$TS" eval "$GRGB" --data "$P"
run_case model_init_huge_classes err "$TS" model init resnet8 --classes 1099511627776 --widths 4,8,16 --out "$O/mi_hc.safetensors"
run_case model_init_huge_inch err "$TS" model init resnet8 --input-channels 100000000 --widths 4,8,16 --out "$O/mi_hi.safetensors"
run_case model_init_widths_1e9 err "$TS" model init resnet8 --widths 1000000000,8,16 --out "$O/mi_w.safetensors"
run_case model_init_no_shape_eval err bash -c "\"$TS\" model init resnet8 --input-channels 1 --widths 4,8,16 --out \"$O/mi_ok.safetensors\" >/dev/null && \"$TS\" eval \"$O/mi_ok.safetensors\" --data \"$P\""
run_case data_show_zoom_0 err "$TS" data show --data "$P" --zoom 0 --out "$O/show.png"

# ------------------------------------------------------------------ study files
SD="$W/studies"; mkdir -p "$SD"
study_yaml() {  # name, then key overrides as sed expressions applied to the base
    local name=$1; shift
    cat > "$SD/$name.yaml" <<'EOF'
name: battery
source:
  data: "procedural:train=64,test=32,side=8"
  model: resnet8
  widths: [4, 8, 16]
  epochs: 1
  batch_size: 16
  lr: 0.1
targets:
  - {data: "procedural:train=64,test=32,side=8,shift=0.5", per_class: 4}
recipe: {epochs: 1, batch_size: 16}
seeds: [0, 1]
analyses: {shuffle: false, cka: false, interpolation: false, criticality: false, checkpoints: false, mistakes: false, distances: false}
EOF
    local e; for e in "$@"; do sed -i -e "$e" "$SD/$name.yaml"; done
}
study_yaml ok
study_yaml epochs_intmax 's/^  epochs: 1/  epochs: 9223372036854775807/'
study_yaml epochs_overflow 's/^  epochs: 1/  epochs: 99999999999999999999/'
study_yaml widths_intmax 's/widths: \[4, 8, 16\]/widths: [9223372036854775807, 9223372036854775807, 9223372036854775807]/'
study_yaml widths_1e9 's/widths: \[4, 8, 16\]/widths: [1000000000, 8, 16]/'
study_yaml seeds_neg 's/^seeds: .*/seeds: [-1, 0]/'
study_yaml seeds_empty 's/^seeds: .*/seeds: []/'
study_yaml seeds_dup 's/^seeds: .*/seeds: [1, 1]/'
study_yaml seeds_one 's/^seeds: .*/seeds: [0]/'
study_yaml lr_inf 's/^  lr: 0.1/  lr: .inf/'
study_yaml lr_nan 's/^  lr: 0.1/  lr: .nan/'
study_yaml lr_neg 's/^  lr: 0.1/  lr: -1/'
study_yaml unknown_key 's/^  lr: 0.1/  lr: 0.1\n  colour: red/'
study_yaml wrong_type 's/^  epochs: 1/  epochs: [1, 2]/'
study_yaml wrong_type2 's/^  batch_size: 16/  batch_size: sixteen/'
study_yaml missing_targets '/^targets:/d; /^  - {data/d'
study_yaml targets_empty 's/^targets:/targets: []/; /^  - {data/d'
study_yaml malformed 's/^source:/source: [unclosed/'
study_yaml tabs 's/^  model: resnet8/\tmodel: resnet8/'
study_yaml recipe_epochs_intmax 's/^recipe: .*/recipe: {epochs: 9223372036854775807, batch_size: 16}/'
study_yaml per_class_huge 's/per_class: 4/per_class: 9223372036854775807/'
study_yaml bad_data 's#^  data: "procedural.*#  data: "npy:/nonexistent.npy,/nonexistent2.npy"#'
study_yaml ckpt_epochs_big 's/^  lr: 0.1/  lr: 0.1\n  checkpoint_epochs: [0, 5]/'
study_yaml cka_images_intmax 's/cka: false/cka: {images: 9223372036854775807}/'
study_yaml interp_points_huge 's/interpolation: false/interpolation: {points: 1000000000000, train_images: 10, bn_batches: 1}/'
study_yaml shuffle_block_3 's/shuffle: false/shuffle: {block_sizes: [3], epochs: 1}/'
study_yaml milestones_zero 's/^  lr: 0.1/  lr: 0.1\n  schedule: step\n  milestones: [0]/'
printf '' > "$SD/empty.yaml"
printf -- '- just\n- a list\n' > "$SD/list.yaml"
printf '\x00\x01\xff\xfe binary' > "$SD/binary.yaml"
printf 'a: &x [*x]\n' > "$SD/anchor_loop.yaml"
run_case study_status_ok ok "$TS" study status "$SD/ok.yaml" --out "$O/st_ok"
TO=60 run_case study_run_ok ok "$TS" study run "$SD/ok.yaml" --out "$O/sr_ok" --threads 2
for s in epochs_intmax epochs_overflow widths_intmax widths_1e9 seeds_neg seeds_empty seeds_dup seeds_one lr_inf lr_nan lr_neg unknown_key \
         wrong_type wrong_type2 missing_targets targets_empty malformed tabs recipe_epochs_intmax per_class_huge bad_data ckpt_epochs_big \
         cka_images_intmax interp_points_huge shuffle_block_3 milestones_zero empty list binary anchor_loop; do
    TO=20 run_case "study_status_$s" err "$TS" study status "$SD/$s.yaml" --out "$O/st_$s"
done
for s in epochs_intmax widths_intmax widths_1e9 seeds_one lr_inf lr_nan recipe_epochs_intmax per_class_huge bad_data ckpt_epochs_big \
         cka_images_intmax interp_points_huge shuffle_block_3 milestones_zero; do
    TO=20 run_case "study_run_$s" err "$TS" study run "$SD/$s.yaml" --out "$O/sr_$s" --threads 2
done
run_case study_run_out_is_file err "$TS" study run "$SD/ok.yaml" --out "$W/regular_file"
run_case study_report_nothing err "$TS" study report "$SD/ok.yaml" --out "$O/sr_never_run"
run_case study_missing_file err "$TS" study status "$SD/nope.yaml" --out "$O/st_nope"
run_case study_dir_as_file err "$TS" study status "$SD" --out "$O/st_dir"

# ------------------------------------------------------------------ output paths
run_case out_is_file_train err "$TS" train --data "$P" "${TINY[@]}" --out "$W/regular_file"
run_case out_proc_train err "$TS" train --data "$P" "${TINY[@]}" --out /proc/ts_battery_nope/run
run_case out_sys_train err "$TS" train --data "$P" "${TINY[@]}" --out /sys/ts_battery_nope/run
EXP_RO=err; [ "$(id -u)" = 0 ] && EXP_RO=any   # root ignores the mode bits
run_case out_readonly_train "$EXP_RO" "$TS" train --data "$P" "${TINY[@]}" --out "$W/ro/run"
run_case out_devnull_train err "$TS" train --data "$P" "${TINY[@]}" --out /dev/null
# --out "" makes the run directory "" and its files "/config.json", "/final.safetensors", ... : the
# first run of this battery (as root) wrote a whole run into /. Only run it where / is not writable.
if [ -w / ]; then
    printf '| %s | %s | %s | %s | `%s` | %s |\n' out_empty_train SKIPPED - 0 "ts train ... --out ''" \
        "not run: / is writable here and the binary writes the run into / (config.json, final.safetensors, checkpoints/, resume/)" >> "$ROWS"
    echo "out_empty_train            SKIPPED (/ writable)"
else
    run_case out_empty_train err "$TS" train --data "$P" "${TINY[@]}" --out ""
fi
run_case out_is_file_eval err "$TS" eval "$G" --data "$P" --out "$W/regular_file"
run_case out_proc_eval err "$TS" eval "$G" --data "$P" --out /proc/ts_battery_nope
run_case out_is_file_distance err "$TS" analyze distance "$G" "$G0" --out "$W/regular_file"
run_case out_proc_cka err "$TS" analyze cka --a "$G" --b "$G0" --data "$P" --images 8 --out /proc/ts_battery_nope
run_case out_model_init_dir err "$TS" model init resnet8 --widths 4,8,16 --out "$W/ckdir"
run_case out_show_proc err "$TS" data show --data "$P" --out /proc/ts_battery_nope.png
# resuming into a finished run with a different configuration
trainp out_reuse_diffconfig err --lr 0.05 --out "$W/good"

# ------------------------------------------------------------------ two concurrent trains on one --out
CONC="$O/concurrent"
CARGS=(train --data "procedural:train=512,test=64,side=16" --model resnet8 --widths 4,8,16 --epochs 3 --batch-size 16 --train-eval-size 0 --log-every 4 --checkpoint-epochs all --out "$CONC")
t0=$(date +%s)
( ulimit -v 8000000; exec timeout -k 5 120 "$TS" "${CARGS[@]}" ) > "$LOGS/conc_a.stdout" 2> "$LOGS/conc_a.stderr" < /dev/null & pa=$!
( ulimit -v 8000000; exec timeout -k 5 120 "$TS" "${CARGS[@]}" ) > "$LOGS/conc_b.stdout" 2> "$LOGS/conc_b.stderr" < /dev/null & pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
secs=$(( $(date +%s) - t0 ))
record conc_a any "$ra" "$secs" "$TS" "${CARGS[@]}" "&"
record conc_b any "$rb" "$secs" "$TS" "${CARGS[@]}" "&"
# consistency of what the two left behind
"$PY" - "$CONC" > "$LOGS/conc_check.stdout" 2> "$LOGS/conc_check.stderr" <<'EOF'
import json, os, sys
d = sys.argv[1]
problems, epochs, steps, lines = [], [], [], 0
try:
    for raw in open(os.path.join(d, "metrics.jsonl"), "rb"):
        lines += 1
        try:
            j = json.loads(raw)
        except Exception:
            problems.append("unparsable line %d" % lines); continue
        if j.get("kind") == "epoch": epochs.append(j.get("epoch"))
        elif j.get("kind") == "step": steps.append(j.get("step"))
except FileNotFoundError:
    problems.append("no metrics.jsonl")
if len(epochs) != len(set(epochs)): problems.append("duplicate epoch lines %s" % epochs)
if steps != sorted(steps): problems.append("steps not increasing")
if len(steps) != len(set(steps)): problems.append("duplicate step lines")
if epochs and epochs != list(range(epochs[0], epochs[0] + len(epochs))): problems.append("epochs not consecutive %s" % epochs)
for f in ("final.safetensors", "summary.json", "config.json", "run.json"):
    if not os.path.exists(os.path.join(d, f)): problems.append("missing " + f)
try:
    runs = json.load(open(os.path.join(d, "run.json")))
    starts = runs.get("starts", runs.get("start"))
    n = len(starts) if isinstance(starts, list) else "?"
except Exception as e:
    n = "unreadable (%s)" % e
print("%s: %d lines, epoch lines %s, %d step lines, run.json starts %s; %s" % (
    "INCONSISTENT" if problems else "CONSISTENT", lines, epochs, len(steps), n, "; ".join(problems) or "no problems"))
sys.exit(1 if problems else 0)
EOF
rc=$?
msg=$(head -c 200 "$LOGS/conc_check.stdout" | tr '\n' ' ')
st=$([ $rc -eq 0 ] && echo CONSISTENT || echo INCONSISTENT)
printf '| %s | %s | %s | %s | `%s` | %s |\n' conc_metrics "$st" "$rc" 0 "check metrics.jsonl/run.json of the shared --out" "$msg" >> "$ROWS"
echo "conc_metrics               $st $msg"
[ -f "$CONC/final.safetensors" ] && run_case conc_final_eval ok "$TS" eval "$CONC/final.safetensors" --data "procedural:train=512,test=64,side=16"

# ------------------------------------------------------------------ analyses with degenerate settings
CK=(--data "$P")
run_case cka_images_4 any "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 4 --batch-size 4 --out "$O/cka4"
run_case cka_images_3 err "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 3 --out "$O/cka3"
run_case cka_images_5_batch_4 any "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 5 --batch-size 4 --out "$O/cka5"
run_case cka_images_huge any "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 1000000000 --out "$O/ckah"
run_case cka_rbf_images_4 any "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 4 --batch-size 4 --kernel rbf --out "$O/ckar"
run_case cka_rbf_bw_inf any "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 8 --kernel rbf --bandwidth inf --out "$O/ckabw"
run_case cka_layers_bogus err "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 8 --layers bogus --out "$O/ckalb"
run_case cka_layers_empty err "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 8 --layers "," --out "$O/ckale"
run_case cka_layers_fc any "$TS" analyze cka --a "$G" --b "$G0" "${CK[@]}" --images 8 --layers fc --out "$O/ckafc"
run_case cka_diff_arch any "$TS" analyze cka --a "$G" --b "$GW8" "${CK[@]}" --images 8 --out "$O/ckada"
run_case cka_oneclass_data err "$TS" analyze cka --a "$G" --b "$G0" --data "idx:$I/idx_img.idx,$I/idx_lbl1class.idx" --images 8 --out "$O/cka1c"
run_case cka_const_images err "$TS" analyze cka --a "$G" --b "$G0" --data "csv:$I/csv_good.csv" --images 8 --out "$O/ckaconst"
IP=(--data "$P" --train-images 16 --bn-batches 1 --batch-size 16)
run_case interp_points_2 any "$TS" analyze interpolate "$G" "$G0" --points 2 "${IP[@]}" --out "$O/ip2"
run_case interp_no_interior any "$TS" analyze interpolate "$G" "$G0" --points 2 --from 0 --to 1e-300 "${IP[@]}" --out "$O/ipni"
run_case interp_outside any "$TS" analyze interpolate "$G" "$G0" --points 2 --from 2 --to 3 "${IP[@]}" --out "$O/ipout"
run_case interp_to_inf err "$TS" analyze interpolate "$G" "$G0" --points 3 --from 0 --to inf "${IP[@]}" --out "$O/ipinf"
run_case interp_from_ninf err "$TS" analyze interpolate "$G" "$G0" --points 3 --from=-inf --to 1 "${IP[@]}" --out "$O/ipninf"
run_case interp_to_1e300 err "$TS" analyze interpolate "$G" "$G0" --points 3 --from 0 --to 1e300 "${IP[@]}" --out "$O/ip1e300"
TO=20 run_case interp_points_huge err "$TS" analyze interpolate "$G" "$G0" --points 1000000000000 "${IP[@]}" --out "$O/iphuge"
run_case interp_same_ckpt any "$TS" analyze interpolate "$G" "$G" --points 3 "${IP[@]}" --out "$O/ipsame"
run_case interp_diff_arch err "$TS" analyze interpolate "$G" "$GW8" --points 3 "${IP[@]}" --out "$O/ipda"
run_case interp_basin_tol_nan err "$TS" analyze interpolate "$G" "$G0" --points 3 --basin-tolerance nan "${IP[@]}" --out "$O/ipbt"
run_case interp_train_images_1 any "$TS" analyze interpolate "$G" "$G0" --points 3 --data "$P" --train-images 1 --bn-batches 1 --out "$O/ipti1"
TO=30 run_case interp_bn_batches_huge any "$TS" analyze interpolate "$G" "$G0" --points 3 --data "$P" --train-images 16 --bn-batches 100000000 --out "$O/ipbnh"
CR=(--data "$P" --train-images 8 --samples 1)
run_case crit_minimal any "$TS" analyze criticality "$G" --start "$G0" --alphas 2 --sigmas 1 "${CR[@]}" --out "$O/crmin"
run_case crit_sigma_tiny any "$TS" analyze criticality "$G" --start "$G0" --alphas 2 --sigmas 1e-300 "${CR[@]}" --out "$O/crtiny"
run_case crit_tol_inf any "$TS" analyze criticality "$G" --start "$G0" --alphas 2 --sigmas 1 --tolerance inf "${CR[@]}" --out "$O/crtinf"
run_case crit_tol_nan err "$TS" analyze criticality "$G" --start "$G0" --alphas 2 --sigmas 1 --tolerance nan "${CR[@]}" --out "$O/crtnan"
run_case crit_sigmas_nan err "$TS" analyze criticality "$G" --start "$G0" --alphas 2 --sigmas nan "${CR[@]}" --out "$O/crsnan"
TO=20 run_case crit_alphas_huge err "$TS" analyze criticality "$G" --start "$G0" --alphas 1000000000000 --sigmas 1 "${CR[@]}" --out "$O/crah"
run_case crit_diff_arch err "$TS" analyze criticality "$G" --start "$GW8" --alphas 2 --sigmas 1 "${CR[@]}" --out "$O/crda"
run_case crit_same_ckpt any "$TS" analyze criticality "$G" --start "$G" --alphas 2 --sigmas 1 "${CR[@]}" --out "$O/crsame"
run_case basin_radius_1e300 any "$TS" analyze basin "$G" --directions 1 --steps 3 --radius 1e300 "${IP[@]}" --out "$O/bar"
run_case basin_radius_inf err "$TS" analyze basin "$G" --directions 1 --steps 3 --radius inf "${IP[@]}" --out "$O/bainf"
run_case basin_tol_inf any "$TS" analyze basin "$G" --directions 1 --steps 3 --tolerance inf "${IP[@]}" --out "$O/batinf"
TO=20 run_case basin_steps_huge err "$TS" analyze basin "$G" --directions 1 --steps 999999999999 "${IP[@]}" --out "$O/bash"
run_case bezier_epochs_0 err "$TS" analyze bezier "$G" "$G0" --epochs 0 --points 3 "${IP[@]}" --out "$O/bz0"
run_case bezier_epochs_m1 err "$TS" analyze bezier "$G" "$G0" --epochs=-1 --points 3 "${IP[@]}" --out "$O/bzm1"
run_case bezier_points_0 err "$TS" analyze bezier "$G" "$G0" --epochs 1 --points 0 "${IP[@]}" --out "$O/bzp0"
run_case bezier_points_1 err "$TS" analyze bezier "$G" "$G0" --epochs 1 --points 1 "${IP[@]}" --out "$O/bzp1"
run_case bezier_lr_nan err "$TS" analyze bezier "$G" "$G0" --epochs 1 --points 3 --lr nan "${IP[@]}" --out "$O/bzlr"
run_case bezier_lr_neg err "$TS" analyze bezier "$G" "$G0" --epochs 1 --points 3 --lr=-1 "${IP[@]}" --out "$O/bzlrn"
run_case bezier_diff_arch err "$TS" analyze bezier "$G" "$GW8" --epochs 1 --points 3 "${IP[@]}" --out "$O/bzda"
run_case distance_diff_arch err "$TS" analyze distance "$G" "$GW8" --out "$O/dda"
run_case distance_rgb_gray err "$TS" analyze distance "$G" "$GRGB" --out "$O/drg"
run_case mistakes_same any "$TS" analyze mistakes --model a="$G" --model b="$G" --data "$P" --out "$O/mis"
run_case mistakes_grid_0 any "$TS" analyze mistakes --model a="$G" --model b="$G0" --data "$P" --grid-images 0 --out "$O/misg0"
run_case mistakes_grid_m1 err "$TS" analyze mistakes --model a="$G" --model b="$G0" --data "$P" --grid-images=-1 --out "$O/misgm1"
run_case mistakes_noeq err "$TS" analyze mistakes --model "$G" --model b="$G0" --data "$P" --out "$O/misnoeq"
SW=(--data "$P" --epochs 1 --batch-size 16 --seeds 0)
run_case sweep_block_3 err "$TS" analyze shuffle-sweep --source "$G" "${SW[@]}" --block-sizes 3 --out "$O/sw3"
run_case sweep_block_0 err "$TS" analyze shuffle-sweep --source "$G" "${SW[@]}" --block-sizes 0 --out "$O/sw0"
run_case sweep_seeds_empty err "$TS" analyze shuffle-sweep --source "$G" --data "$P" --epochs 1 --batch-size 16 --seeds "" --block-sizes 8 --out "$O/swse"
run_case sweep_seeds_neg err "$TS" analyze shuffle-sweep --source "$G" --data "$P" --epochs 1 --batch-size 16 --seeds=-1 --block-sizes 8 --out "$O/swsn"
run_case sweep_epochs_0 err "$TS" analyze shuffle-sweep --source "$G" --data "$P" --epochs 0 --batch-size 16 --seeds 0 --block-sizes 8 --out "$O/swe0"
run_case sweep_batch_0 err "$TS" analyze shuffle-sweep --source "$G" --data "$P" --epochs 1 --batch-size 0 --seeds 0 --block-sizes 8 --out "$O/swb0"
run_case sweep_ptlr_nan err "$TS" analyze shuffle-sweep --source "$G" --data "$P" --epochs 1 --batch-size 16 --seeds 0 --block-sizes 8 --pt-lr nan --out "$O/swlr"
run_case ckchoice_epoch_99 err "$TS" analyze checkpoints --source-run "$W/good" --source-epochs 99 --data "$P" --epochs 1 --batch-size 16 --seeds 0 --out "$O/cc99"
run_case ckchoice_epoch_neg err "$TS" analyze checkpoints --source-run "$W/good" --source-epochs=-1 --data "$P" --epochs 1 --batch-size 16 --seeds 0 --out "$O/ccneg"
run_case ckchoice_not_a_run err "$TS" analyze checkpoints --source-run "$W/ckdir" --data "$P" --epochs 1 --batch-size 16 --seeds 0 --out "$O/ccnr"
run_case forward_no_input err "$TS" model forward "$G" --input "$G" --out "$O/fwd.safetensors"
run_case forward_bad_file err "$TS" model forward "$G" --input "$I/s_trunc.st" --out "$O/fwd2.safetensors"

# ------------------------------------------------------------------ files that never end, links, damaged runs
run_case dev_zero_idx err "$TS" train --out "$O/dev_zero_idx" --data idx:/dev/zero,/dev/zero "${TINY[@]}"
mkfifo "$W/fifo.npy" 2>/dev/null
run_case fifo_npy err "$TS" train --out "$O/fifo_npy" --data "npy:$W/fifo.npy,$W/fifo.npy" "${TINY[@]}"
run_case dev_zero_study err "$TS" study status /dev/zero --out "$O/dev_zero_study"
run_case dev_zero_ckpt err "$TS" eval /dev/zero --data "$P"
mkdir -p "$O/lock_link" && ln -sf "$W/regular_file" "$O/lock_link/.transferscope.lock"
trainp lock_symlink err --out "$O/lock_link"
run_case lock_symlink_target_intact ok grep -q "file contents" "$W/regular_file"
"$PY" - "$I" <<'PYEOF'
import sys, numpy as np
from safetensors.numpy import save_file
out = sys.argv[1]
save_file({"input": np.zeros((1, 1, 0, 0), np.float32)}, out + "/fwd_zero.st")
x = np.zeros((2, 1, 8, 8), np.float32); x[1, 0, 3, 3] = np.nan
save_file({"input": x}, out + "/fwd_nan.st")
PYEOF
run_case forward_zero_side err "$TS" model forward "$G" --input "$I/fwd_zero.st" --out "$O/fwd_zero.st"
run_case forward_nan_input err "$TS" model forward "$G" --input "$I/fwd_nan.st" --out "$O/fwd_nan.st"
cp -r "$W/good" "$W/damaged" && rm -f "$W/damaged/summary.json" && mkdir -p "$W/damaged/resume" \
    && echo '{"epoch":-3,"step":0,"seconds":0,"model":"m","optimizer":"o"}' > "$W/damaged/resume/state.json"
run_case resume_state_negative err "$TS" train --out "$W/damaged" --data "$P" "${TINY[@]}" --checkpoint-epochs all
run_case interp_subrange err "$TS" analyze interpolate "$G" "$G0" --from 0.2 --to 0.8 --points 3 --train-images 16 --bn-batches 1 --data "$P" --out "$O/interp_subrange"
run_case basin_far ok "$TS" analyze basin "$G" --radius 1000 --directions 1 --steps 3 "${IP[@]}" --out "$O/basin_far"
run_case cka_images_4_again ok "$TS" analyze cka --a "$G" --b "$G0" --data "$P" --images 4 --batch-size 4 --out "$O/cka_images_4_again"

# ------------------------------------------------------------------ write the table
TOTAL=$(( $(date +%s) - START ))
{
    echo "# transferscope hostile-input battery"
    echo
    echo "- binary: \`$TS\` ($("$TS" --version 2>/dev/null | head -1))"
    echo "- run: $(date -u +%Y-%m-%dT%H:%M:%SZ), ${TOTAL}s, timeout ${TIMEOUT}s per case (some cases less), ulimit -v 8000000, TRANSFERSCOPE_THREADS=$TRANSFERSCOPE_THREADS, user $(id -un)"
    echo "- logs: \`$LOGS/<id>.stderr|stdout\`; TINY = \`--model resnet8 --widths 4,8,16 --epochs 1 --batch-size 16 --train-eval-size 0\`, PROC = \`procedural:train=64,test=32,side=8\`, paths relative to the temp dir"
    echo "- counts: $(awk -F' \\| ' '{print $2}' "$ROWS" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}' | sed 's/, $//')"
    echo
    echo "## Problems (CRASH, TIMEOUT, SILENT, ERR-NOMSG, INCONSISTENT)"
    echo
    echo "| id | status | exit | s | command | message |"
    echo "|---|---|---|---|---|---|"
    grep -E '^\| [^|]+ \| (CRASH|TIMEOUT|SILENT|ERR-NOMSG|INCONSISTENT) \|' "$ROWS"
    echo
    echo "## All cases"
    echo
    echo "| id | status | exit | s | command | message |"
    echo "|---|---|---|---|---|---|"
    cat "$ROWS"
} > "$OUTFILE"
echo "== wrote $OUTFILE in ${TOTAL}s"
if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"; fi
# A crash or a hang fails the battery (SILENT cases are judgement calls, listed for review).
if grep -qE '^\| [^|]+ \| (CRASH|TIMEOUT) \|' "$OUTFILE"; then
    echo "== battery: crashes or timeouts, see $OUTFILE" >&2
    exit 1
fi
