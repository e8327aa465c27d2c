import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers
import TransferscopeTraining
import Yams

/// Reading a study from YAML. Unknown keys and bad values are errors with the line number and
/// the allowed keys or values; keys are snake_case (`batch_size`, `per_class`), lists are YAML
/// sequences (`seeds: [0, 1, 2]`), and an analysis is turned off with `false`. `controls:` turns
/// off the control runs, both on by default: `same_init` (per target and seed an RI-T run from
/// one shared random initialization, seed `Study.sharedInitializationSeed`, its data order from
/// the seed) and `scratch_at_pt_lr` (per target and seed an RI-T run at P-T's learning rate).
/// A target's `analyses:` list keeps only those of the study's analyses on it (`all` by default)
/// and its `controls: false` leaves the control runs out on it; `sizes:` (off by default) sweeps
/// the training images per class.
///
/// A given P replaces the pre-training: `source: {checkpoint: P.safetensors}` (from `model import`
/// or `train`), `source: {checkpoints: {0: a.safetensors, 30: b.safetensors}}` (P the last) or
/// `source: {run: DIR}`, with the source's `data:` optional (the domain distance needs it). A
/// folder target is read at P's input side; its `fit: crop` fits its images as torchvision's
/// evaluation transform does (resize and centre crop) instead of padding them whole.
///
///     name: my-study
///     source: {data: fashion-mnist, model: resnet20, epochs: 8}
///     targets:
///       - {data: clipart}
///       - {data: sketch-digits, per_class: 100, flip: false, analyses: [shuffle], controls: false}
///     recipe: {epochs: 10, pt_lr: 0.02, rit_lr: 0.1}
///     seeds: [0, 1, 2]
///     analyses:
///       shuffle: {block_sizes: [28, 7, 1], epochs: 4}
///       criticality: false
///       sizes: {per_class: [10, 30, 100]}
///     controls: {same_init: true, scratch_at_pt_lr: false}
public enum StudyFile {
    /// Parses the study in `text`; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> Study {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw StudyError.invalid(path: path, line: Self.line(of: error), message: "not valid YAML: \(error)")
        }
        guard let root else {
            throw StudyError.invalid(path: path, line: nil, message: "the file is empty; see the presets in studies/")
        }
        let top = Reader(node: root, path: path, context: "the study")
        var study = Study()
        let fields = try top.mapping(allowed: [
            "name", "source", "targets", "recipe", "seeds", "analyses", "controls",
        ])
        if let name = fields["name"] { study.name = try name.string() }
        if let source = fields["source"] {
            study.source = try readSource(source)
            if study.source.given == nil { try checkArchitecture(study.source, at: source) }
        }
        guard let targets = fields["targets"] else {
            throw StudyError.invalid(
                path: path, line: root.mark?.line, message: "the study needs `targets:`, a list of target datasets")
        }
        let targetReaders = try targets.list()
        study.targets = try targetReaders.map(readTarget)
        guard !study.targets.isEmpty else { throw targets.fail("`targets` needs at least one target") }
        if let recipe = fields["recipe"] { study.recipe = try readRecipe(recipe) }
        if let seeds = fields["seeds"] {
            study.seeds = try seeds.list().map { UInt64(try $0.integer(0...Int.max)) }
            guard study.seeds.count >= 1, Set(study.seeds).count == study.seeds.count else {
                throw seeds.fail(
                    "`seeds` needs distinct seeds (two or more give the pairwise analyses of P-T and of RI-T)")
            }
        }
        if let analyses = fields["analyses"] { study.analyses = try readAnalyses(analyses) }
        if let controls = fields["controls"] { study.controls = try readControls(controls) }
        for (reader, target) in zip(targetReaders, study.targets) { try check(target, of: study, at: reader) }
        return study
    }

    /// Reads and parses the study file at `path`.
    public static func load(_ path: String) throws -> Study {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: 1 << 24) } catch let error as RegularFileError {
            throw StudyError.unreadable(path: path, reason: error.reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StudyError.unreadable(path: path, reason: "not readable UTF-8 text")
        }
        return try parse(text, path: path)
    }

    static func line(of error: Error) -> Int? {
        if case YamlError.scanner(_, _, let mark, _) = error { return mark.line }
        if case YamlError.parser(_, _, let mark, _) = error { return mark.line }
        return nil
    }

    static func readTarget(_ reader: Reader) throws -> Study.Target {
        if reader.node.scalar != nil { return Study.Target(data: try reader.dataSpecification()) }
        let f = try reader.mapping(allowed: ["data", "per_class", "subsample", "flip", "analyses", "controls", "fit"])
        guard let data = f["data"] else {
            throw reader.fail("a target needs `data:` (a dataset: built-in name, folder, ...)")
        }
        var target = Study.Target(data: try data.dataSpecification())
        if let v = f["per_class"] { target.perClass = try v.integer(1...Limits.images) }
        if let v = f["subsample"] { target.subsample = try v.integer(10...Limits.images) }
        if let v = f["flip"] { target.flip = try v.bool() }
        if let v = f["analyses"] {
            if (try? v.string()) == "all" {
                target.analyses = nil
            } else {
                let names = try v.list().map { try $0.choice(Study.AnalysisName.self) }
                guard Set(names).count == names.count else {
                    throw v.fail("`analyses` of a target names an analysis twice")
                }
                target.analyses = names
            }
        }
        if let v = f["controls"] { target.controls = try v.bool() }
        if let v = f["fit"] {
            target.fit = try v.choice(ImageFolderReader.Fit.self)
            guard case .folder? = try? DatasetSource(parsing: target.data) else {
                throw v.fail("`fit` applies to a folder of images; \(target.data) is not one")
            }
        }
        return target
    }

    /// A target's `analyses` may only name analyses the study runs, and its `controls: true` needs
    /// controls the study has on: a request that would silently do nothing is an error.
    static func check(_ target: Study.Target, of study: Study, at reader: Reader) throws {
        if let names = target.analyses {
            let off = names.filter { name in
                switch name {
                case .shuffle: study.analyses.shuffle == nil
                case .mistakes: !study.analyses.mistakes
                case .cka: study.analyses.cka == nil
                case .distances: !study.analyses.distances
                case .interpolation: study.analyses.interpolation == nil
                case .criticality: study.analyses.criticality == nil
                case .checkpoints: study.analyses.checkpoints == nil
                case .sizes: study.analyses.sizes == nil
                }
            }
            guard off.isEmpty else {
                throw reader.fail(
                    "target \(target.data) names analyses the study does not run: "
                        + off.map(\.rawValue).joined(separator: ", ") + "; turn them on under `analyses:` "
                        + (off.contains(.sizes)
                            ? "(`sizes` is off by default: `sizes: {per_class: [10, 30, 100]}`) " : "")
                        + "or leave them out of the target's list")
            }
        }
        if target.controls == true && !study.controls.sameInit && !study.controls.scratchAtFineTuneRate {
            throw reader.fail(
                "target \(target.data) asks for `controls: true` but the study's `controls:` are both off; "
                    + "a target can only leave the study's controls out")
        }
    }

    /// Distinct seeds, one or more, from a YAML list.
    static func seeds(_ reader: Reader) throws -> [UInt64] {
        let seeds = try reader.list().map { UInt64(try $0.integer(0...Int.max)) }
        guard !seeds.isEmpty, Set(seeds).count == seeds.count else {
            throw reader.fail("\(reader.context) needs one or more distinct seeds, e.g. [0, 1, 2]")
        }
        return seeds
    }

    static func readRecipe(_ reader: Reader) throws -> TransferRecipe {
        var recipe = TransferRecipe()
        let f = try reader.mapping(allowed: ["epochs", "batch_size", "pt_lr", "rit_lr", "momentum", "weight_decay"])
        if let v = f["epochs"] { recipe = recipe.running(epochs: try v.integer(1...Limits.epochs)) }
        if let v = f["batch_size"] { recipe.batchSize = try v.integer(2...Limits.images) }
        if let v = f["pt_lr"] { recipe.fineTuneLearningRate = try v.number(above: 0) }
        if let v = f["rit_lr"] { recipe.scratchLearningRate = try v.number(above: 0) }
        if let v = f["momentum"] { recipe.optimizer.momentum = Float(try v.number(atLeast: 0, below: 1)) }
        if let v = f["weight_decay"] { recipe.optimizer.weightDecay = Float(try v.number(atLeast: 0, atMost: 1)) }
        return recipe
    }

    static func readControls(_ reader: Reader) throws -> Study.Controls {
        var controls = Study.Controls()
        let f = try reader.mapping(allowed: ["same_init", "scratch_at_pt_lr"])
        if let v = f["same_init"] { controls.sameInit = try v.bool() }
        if let v = f["scratch_at_pt_lr"] { controls.scratchAtFineTuneRate = try v.bool() }
        return controls
    }

}

/// A YAML node with the file and the place it stands for, so errors can say where.
struct Reader {
    let node: Node
    let path: String
    let context: String

    var line: Int? { node.mark?.line }

    func fail(_ message: String) -> StudyError { .invalid(path: path, line: line, message: message) }

    /// The mapping's values by key; an unknown key is an error listing the allowed ones.
    func mapping(allowed: [String]) throws -> [String: Reader] {
        guard let mapping = node.mapping else {
            throw fail("\(context) must be a mapping of \(allowed.joined(separator: ", "))")
        }
        var result: [String: Reader] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail("a key in \(context) is not text") }
            guard allowed.contains(name) else {
                throw StudyError.invalid(
                    path: path, line: key.mark?.line,
                    message: "unknown key '\(name)' in \(context); allowed: \(allowed.joined(separator: ", "))")
            }
            result[name] = Reader(node: value, path: path, context: "`\(name)`")
        }
        return result
    }

    func list() throws -> [Reader] {
        guard let sequence = node.sequence else { throw fail("\(context) must be a list, e.g. [1, 2]") }
        return sequence.map { Reader(node: $0, path: path, context: context) }
    }

    func string() throws -> String {
        guard let scalar = node.scalar else { throw fail("\(context) must be a single value") }
        return scalar.string
    }

    func string(oneOf allowed: [String]) throws -> String {
        let value = try string()
        guard allowed.contains(value) else {
            throw fail("\(context) is '\(value)'; allowed: \(allowed.joined(separator: ", "))")
        }
        return value
    }

    /// One of the cases of `Choice`, by its raw value; an error lists them.
    func choice<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) throws -> Choice
    where Choice.RawValue == String {
        let value = try string(oneOf: Choice.allCases.map(\.rawValue))
        guard let choice = Choice(rawValue: value) else { throw fail("\(context) is '\(value)'") }
        return choice
    }

    func integer(_ range: ClosedRange<Int>) throws -> Int {
        guard node.scalar != nil, let value = node.int else {
            throw fail("\(context) must be a whole number, got '\((try? string()) ?? "?")'")
        }
        guard range.contains(value) else {
            throw fail("\(context) must lie in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        return value
    }

    func number(above minimum: Double) throws -> Double {
        let value = try number()
        guard value > minimum else { throw fail("\(context) must be above \(minimum), got \(value)") }
        return value
    }

    func number(above minimum: Double, atMost maximum: Double) throws -> Double {
        let value = try number()
        guard value > minimum, value <= maximum else {
            throw fail("\(context) must lie in (\(minimum), \(maximum)], got \(value)")
        }
        return value
    }

    func number(atLeast minimum: Double, atMost maximum: Double) throws -> Double {
        let value = try number()
        guard value >= minimum, value <= maximum else {
            throw fail("\(context) must lie in [\(minimum), \(maximum)], got \(value)")
        }
        return value
    }

    func number(atLeast minimum: Double, below maximum: Double) throws -> Double {
        let value = try number()
        guard value >= minimum, value < maximum else {
            throw fail("\(context) must lie in [\(minimum), \(maximum)), got \(value)")
        }
        return value
    }

    /// A finite number (`.inf` and `.nan` are YAML numbers, but no setting takes them).
    func number() throws -> Double {
        guard node.scalar != nil, let value = node.float ?? node.int.map(Double.init) else {
            throw fail("\(context) must be a number, got '\((try? string()) ?? "?")'")
        }
        guard value.isFinite else {
            throw fail("\(context) must be a finite number, got \((try? string()) ?? "\(value)")")
        }
        return value
    }

    /// A `--data` specification that parses (a known built-in name, an existing folder,
    /// FORMAT:PATHS, procedural values in range). Whether FORMAT:PATHS files exist is checked by
    /// `study run` (`Study.missingDataFiles`), so that a report can be rebuilt without the data.
    func dataSpecification() throws -> String {
        let text = try string()
        do { _ = try DatasetSource(parsing: text) } catch { throw fail("\(context): \(error.localizedDescription)") }
        return text
    }

    func bool() throws -> Bool {
        guard node.scalar != nil, let value = node.bool else {
            throw fail("\(context) must be true or false, got '\((try? string()) ?? "?")'")
        }
        return value
    }
}
