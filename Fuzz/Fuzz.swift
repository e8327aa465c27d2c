import Foundation
import TransferscopeFuzzing

#if LIBFUZZER
// Built with `swift build --sanitize fuzzer -Xswiftc -DLIBFUZZER` (scripts/fuzz.sh --libfuzzer): libFuzzer provides
// main and calls this with each input; TRANSFERSCOPE_FUZZ_TARGET names the reader.
let libFuzzerTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TRANSFERSCOPE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set TRANSFERSCOPE_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    libFuzzerTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
/// `transferscope-fuzz TARGET CORPUS_DIR [--seconds S] [--iterations N] [--seed S] [--current FILE]`
/// mutates the corpus and feeds the target until the time or the count is reached; before each
/// input runs it is written to FILE, so after a crash that file reproduces it:
/// `transferscope-fuzz TARGET --replay FILE`.
@main
struct FuzzCommand {
    static let usage = """
        usage: transferscope-fuzz TARGET CORPUS_DIR [--seconds S] [--iterations N] [--seed S] [--current FILE]
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
        var seconds = 60.0, iterations = Int.max, seed: UInt64 = 0
        var current = FileManager.default.temporaryDirectory.appendingPathComponent("transferscope-fuzz-\(target.rawValue)").path
        while let flag = arguments.first {
            arguments.removeFirst()
            guard let value = arguments.first else { fail("\(flag) needs a value\n\(usage)") }
            arguments.removeFirst()
            switch flag {
            case "--seconds": seconds = Double(value) ?? { fail("--seconds takes a number, got \(value)") }()
            case "--iterations": iterations = Int(value) ?? { fail("--iterations takes an integer, got \(value)") }()
            case "--seed": seed = UInt64(value) ?? { fail("--seed takes an integer, got \(value)") }()
            case "--current": current = value
            default: fail("unknown option \(flag)\n\(usage)")
            }
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []).sorted()
        let corpus = names.compactMap { FileManager.default.contents(atPath: corpusDirectory + "/" + $0).map { [UInt8]($0) } }
        guard !corpus.isEmpty else { fail("\(corpusDirectory) holds no corpus files") }
        guard FileManager.default.createFile(atPath: current, contents: nil), let handle = FileHandle(forWritingAtPath: current) else {
            fail("cannot write \(current)")
        }
        func record(_ input: [UInt8]) {
            try? handle.truncate(atOffset: 0)
            try? handle.seek(toOffset: 0)
            handle.write(Data(input))
        }
        let start = Date()
        var accepted = 0, count = 0
        for input in corpus {  // the seeds themselves first: each should be accepted
            record(input)
            if target.run(input) { accepted += 1 }
            count += 1
        }
        var mutator = Mutator(corpus: corpus, seed: seed)
        while count < iterations && Date().timeIntervalSince(start) < seconds {
            let input = mutator.next()
            record(input)
            if target.run(input) { accepted += 1 }
            count += 1
        }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: current)
        print(String(format: "%@: %d inputs (%d corpus files, seed %llu) in %.1f s, %d accepted, no crash",
                     target.rawValue, count, corpus.count, seed, Date().timeIntervalSince(start), accepted))
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}
#endif
