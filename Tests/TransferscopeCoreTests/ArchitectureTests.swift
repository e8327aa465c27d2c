import Foundation
import Testing

/// docs/ARCHITECTURE.md stays true: its module table matches Package.swift, and no source file
/// imports a module its target does not declare (SwiftPM would let a transitive import through).
@Suite("Architecture")
struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Whether `name` is a C target (`CImageCodecs`, `CZlib`, ...), listed under its own name.
    static func isCLibrary(_ name: String) -> Bool {
        name.count > 1 && name.first == "C" && name.dropFirst().first?.isUppercase == true
    }

    /// The module table of docs/ARCHITECTURE.md: module -> imported modules (full names).
    static func documented() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: root + "/docs/ARCHITECTURE.md", encoding: .utf8)
        var table: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| module") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            let imports: [String] =
                cells[1] == "-"
                ? []
                : cells[1].split(separator: ",").map { item -> String in
                    let name = item.trimmingCharacters(in: .whitespaces)
                    return isCLibrary(name) ? name : "Transferscope" + name
                }
            table[cells[0]] = Set(imports)
        }
        return table
    }

    /// The non-test targets of Package.swift with a `Sources/` folder: target -> declared dependencies.
    static func declared() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: root + "/Package.swift", encoding: .utf8)
        var result: [String: Set<String>] = [:]
        let pattern = try NSRegularExpression(
            pattern: #"\.(target|executableTarget)\(\s*name:\s*"([^"]+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?"#)
        let range = NSRange(text.startIndex..., in: text)
        for match in pattern.matches(in: text, range: range) {
            guard let nameRange = Range(match.range(at: 2), in: text) else { continue }
            let name = String(text[nameRange])
            guard FileManager.default.fileExists(atPath: root + "/Sources/" + name) else { continue }
            var dependencies: Set<String> = []
            if let listRange = Range(match.range(at: 3), in: text) {
                let quoted = try NSRegularExpression(pattern: #"^\s*"([A-Za-z0-9]+)""#, options: .anchorsMatchLines)
                let list = String(text[listRange]).replacingOccurrences(of: ",", with: "\n")
                for item in quoted.matches(in: list, range: NSRange(list.startIndex..., in: list)) {
                    if let r = Range(item.range(at: 1), in: list) { dependencies.insert(String(list[r])) }
                }
            }
            result[name] = dependencies
        }
        return result
    }

    @Test("docs/ARCHITECTURE.md lists every module of Package.swift with exactly its declared dependencies")
    func tableMatchesPackage() throws {
        let (documented, declared) = (try Self.documented(), try Self.declared())
        #expect(Set(documented.keys) == Set(declared.keys.filter { !Self.isCLibrary($0) }))
        for (module, dependencies) in declared where !Self.isCLibrary(module) {
            #expect(documented[module] == dependencies, "\(module): Package.swift declares \(dependencies.sorted())")
        }
    }

    @Test("No source file imports a Transferscope module its target does not declare")
    func importsAreDeclared() throws {
        let declared = try Self.declared()
        for (module, dependencies) in declared {
            let folder = Self.root + "/Sources/" + module
            let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import Transferscope") {
                    let imported = String(line.dropFirst("import ".count)).trimmingCharacters(in: .whitespaces)
                    #expect(
                        dependencies.contains(imported),
                        "\(module)/\(file) imports \(imported), not declared in Package.swift")
                }
            }
        }
    }
}
