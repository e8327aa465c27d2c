import Foundation
import TransferscopeFuzzing

#if LIBFUZZER
    // Built with `swift build --sanitize fuzzer -Xswiftc -DLIBFUZZER` (scripts/fuzz.sh --libfuzzer): libFuzzer provides
    // main and calls this with each input; TRANSFERSCOPE_FUZZ_TARGET names the reader.
    let libFuzzerTarget: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["TRANSFERSCOPE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError(
                "set TRANSFERSCOPE_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        libFuzzerTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
#else
    /// `transferscope-fuzz TARGET CORPUS_DIR [--seconds S] [--iterations N] [--seed S] [--current FILE]
    /// [--input-timeout S]` mutates the corpus and feeds the target until the time or the count is reached; before each
    /// input runs it is written to FILE, so after a crash that file reproduces it:
    /// `transferscope-fuzz TARGET --replay FILE`. An input that runs longer than the input timeout
    /// (a hang, or work without bound) ends the run with exit status 3; run it under `ulimit -v` so
    /// that an allocation without bound is a crash too (scripts/fuzz.sh does).
    @main
    struct FuzzCommand {
        static let usage = """
            usage: transferscope-fuzz TARGET CORPUS_DIR [--seconds S] [--iterations N] [--seed S] \
            [--current FILE] [--input-timeout S]
                   transferscope-fuzz TARGET --replay FILE...
            targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
            """

        static func main() {
            var arguments = Array(CommandLine.arguments.dropFirst())
            guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments.removeFirst()) else { fail(usage) }
            if arguments.first == "--replay" {
                for path in arguments.dropFirst() {
                    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
                    print("\(path): \(target.run([UInt8](data)) ? "accepted" : "refused with an error")")
                }
                return
            }
            let corpusDirectory = arguments.removeFirst()
            var seconds = 60.0
            var iterations = Int.max
            var seed: UInt64 = 0
            var inputTimeout = 10.0
            var current = FileManager.default.temporaryDirectory.appendingPathComponent(
                "transferscope-fuzz-\(target.rawValue)"
            ).path
            while let flag = arguments.first {
                arguments.removeFirst()
                guard let value = arguments.first else { fail("\(flag) needs a value\n\(usage)") }
                arguments.removeFirst()
                switch flag {
                case "--seconds": seconds = Double(value) ?? { fail("--seconds takes a number, got \(value)") }()
                case "--iterations":
                    iterations = Int(value) ?? { fail("--iterations takes an integer, got \(value)") }()
                case "--seed": seed = UInt64(value) ?? { fail("--seed takes an integer, got \(value)") }()
                case "--current": current = value
                case "--input-timeout":
                    inputTimeout = Double(value) ?? { fail("--input-timeout takes a number, got \(value)") }()
                default: fail("unknown option \(flag)\n\(usage)")
                }
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []).sorted()
            let corpus = names.compactMap {
                FileManager.default.contents(atPath: corpusDirectory + "/" + $0).map { [UInt8]($0) }
            }
            guard !corpus.isEmpty else { fail("\(corpusDirectory) holds no corpus files") }
            guard FileManager.default.createFile(atPath: current, contents: nil),
                let handle = FileHandle(forWritingAtPath: current)
            else {
                fail("cannot write \(current)")
            }
            func record(_ input: [UInt8]) {
                try? handle.truncate(atOffset: 0)
                try? handle.seek(toOffset: 0)
                handle.write(Data(input))
            }
            let start = Date()
            let watchdog = Watchdog(timeout: inputTimeout, current: current)
            var accepted = 0
            var count = 0
            func feed(_ input: [UInt8]) {
                record(input)
                watchdog.started()
                if target.run(input) { accepted += 1 }
                watchdog.finished()
                count += 1
            }
            for input in corpus { feed(input) }  // the seeds themselves first: each should be accepted
            var mutator = Mutator(corpus: corpus, seed: seed)
            while count < iterations && Date().timeIntervalSince(start) < seconds { feed(mutator.next()) }
            try? handle.close()
            try? FileManager.default.removeItem(atPath: current)
            print(
                String(
                    format: "%@: %d inputs (%d corpus files, seed %llu) in %.1f s, %d accepted, no crash",
                    target.rawValue, count, corpus.count, seed, Date().timeIntervalSince(start), accepted))
        }

        static func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            exit(2)
        }
    }

    /// Ends the process when one input runs longer than `timeout` seconds: a thread looks at the
    /// start time of the input in progress once a second. The thread holds the watchdog for the rest
    /// of the process (it outlives the loop that feeds it).
    final class Watchdog: @unchecked Sendable {
        private let lock = NSLock()
        private var inputStart: Date?

        init(timeout: Double, current: String) {
            let thread = Thread { [self] in
                while true {
                    Thread.sleep(forTimeInterval: 1)
                    let start = self.lock.withLock { self.inputStart }
                    if let start, Date().timeIntervalSince(start) > timeout {
                        FileHandle.standardError.write(
                            Data("an input ran longer than \(timeout) s (a hang?); it is \(current)\n".utf8))
                        exit(3)
                    }
                }
            }
            thread.start()
        }

        func started() { lock.withLock { inputStart = Date() } }
        func finished() { lock.withLock { inputStart = nil } }
    }
#endif
