import Conntrack
import ConntrackKfuncs
import Foundation
import Yams

/// Reads a suite file's YAML into a `RegressionSuite`, refusing unknown keys, wrong types,
/// missing files and unknown kernel profiles with the line they are on.
struct SuiteParser {
    let path: String
    let text: String
    var checkFiles = true

    static let topKeys = ["name", "golden", "defaults", "cases"]
    static let caseKeys = ["name", "object", "program", "captures", "kernel", "sysctls", "options"]

    init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// The settings of a case or of `defaults`, before they are merged and checked.
    struct Settings {
        var name: String?
        var object: (String, Int?)?
        var program: String?
        var captures: ([String], Int?)?
        var kernel: (String, Int?)?
        var sysctls: [(RegressionCase.Sysctl, Int?)] = []
        var options: [(String, Bool)] = []
    }

    func parse() throws(RegressionError) -> RegressionSuite {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error)
        } catch {
            throw RegressionError(.unreadable, "not YAML: \(error)", suite: path)
        }
        guard let root, let top = root.mapping else {
            throw RegressionError(
                .malformed, "expected a mapping with a 'cases' list", suite: path, line: root?.mark?.line)
        }
        try checkKeys(top, allowed: Self.topKeys, what: "suite", caseName: nil)
        let directory = (path as NSString).deletingLastPathComponent
        let fileName = (path as NSString).lastPathComponent
        let stem = (fileName as NSString).deletingPathExtension
        var name = stem
        if let node = top["name"] { name = try string(node, key: "name", caseName: nil) }
        var golden = RegressionSuite.resolve(stem + ".golden", against: directory)
        if let node = top["golden"] {
            golden = RegressionSuite.resolve(try string(node, key: "golden", caseName: nil), against: directory)
        }
        var defaults = Settings()
        if let node = top["defaults"] {
            guard let mapping = node.mapping else { throw malformed("'defaults' must be a mapping", node, nil) }
            try checkKeys(mapping, allowed: Self.caseKeys.filter { $0 != "name" }, what: "defaults", caseName: nil)
            defaults = try settings(mapping, caseName: nil)
        }
        guard let casesNode = top["cases"] else {
            throw RegressionError(.malformed, "no 'cases' list", suite: path, line: root.mark?.line)
        }
        guard let list = casesNode.sequence else { throw malformed("'cases' must be a list", casesNode, nil) }
        var cases: [RegressionCase] = []
        var seen: Set<String> = []
        for (position, node) in list.enumerated() {
            guard let mapping = node.mapping else {
                throw malformed("case \(position + 1) must be a mapping", node, nil)
            }
            guard let nameNode = mapping["name"] else {
                throw malformed("case \(position + 1) has no 'name'", node, nil)
            }
            let caseName = try string(nameNode, key: "name", caseName: nil)
            guard !caseName.isEmpty, caseName.utf8.allSatisfy(Self.isNameByte), caseName != ".", caseName != ".." else {
                throw malformed(
                    "case name '\(caseName)' must be letters, digits, '.', '_' and '-' (it names the golden file)",
                    nameNode, nil)
            }
            guard seen.insert(caseName).inserted else {
                throw malformed("a second case named '\(caseName)'", nameNode, nil)
            }
            try checkKeys(mapping, allowed: Self.caseKeys, what: "case", caseName: caseName)
            let own = try settings(mapping, caseName: caseName)
            cases.append(
                try makeCase(caseName, line: node.mark?.line, own: own, defaults: defaults, directory: directory))
        }
        guard !cases.isEmpty else { throw malformed("'cases' is empty", casesNode, nil) }
        return RegressionSuite(path: path, name: name, goldenDirectory: golden, cases: cases)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
            || b == 0x2D
    }

    private func makeCase(_ name: String, line: Int?, own: Settings, defaults: Settings, directory: String)
        throws(RegressionError)
        -> RegressionCase
    {
        guard let (objectName, objectLine) = own.object ?? defaults.object else {
            throw RegressionError(
                .malformed, "no 'object' (in the case or in 'defaults')", suite: path, line: line, caseName: name)
        }
        guard let (captureNames, capturesLine) = own.captures ?? defaults.captures else {
            throw RegressionError(
                .malformed, "no 'captures' (in the case or in 'defaults')", suite: path, line: line, caseName: name)
        }
        let objectPath = RegressionSuite.resolve(objectName, against: directory)
        let capturePaths = captureNames.map { RegressionSuite.resolve($0, against: directory) }
        if checkFiles {
            try requireFile(objectPath, as: objectName, what: "object", line: objectLine, caseName: name)
            for (written, resolved) in zip(captureNames, capturePaths) {
                try requireFile(resolved, as: written, what: "capture", line: capturesLine, caseName: name)
            }
        }
        var kernel = ConntrackKernelProfile.current
        if let (version, kernelLine) = own.kernel ?? defaults.kernel {
            guard let profile = ConntrackKernelProfile.named(version) else {
                throw RegressionError(
                    .malformed,
                    "kernel '\(version)': no conntrack kfunc profile (profiles: \(ConntrackKernelProfile.all.map(\.version).joined(separator: ", ")))",
                    suite: path, line: kernelLine, caseName: name)
            }
            kernel = profile
        }
        // Case sysctls override the defaults' of the same name; both are checked as `track --sysctl` does.
        let sysctls = defaults.sysctls.filter { d in !own.sysctls.contains { $0.0.name == d.0.name } } + own.sysctls
        var check = ConntrackSysctls()
        for (setting, settingLine) in sysctls {
            do {
                try check.set(setting.name, setting.value)
            } catch {
                throw RegressionError(.malformed, error.message, suite: path, line: settingLine, caseName: name)
            }
        }
        var options = CaseOptions()
        for (key, value) in defaults.options + own.options { options.set(key, value) }
        return RegressionCase(
            name: name, line: line, objectName: objectName, objectPath: objectPath,
            program: own.program ?? defaults.program,
            captureNames: captureNames, capturePaths: capturePaths, kernel: kernel, sysctls: sysctls.map(\.0),
            options: options)
    }

    private func requireFile(_ resolved: String, as written: String, what: String, line: Int?, caseName: String)
        throws(RegressionError)
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw RegressionError(
                .missingFile, "\(what) \(written): no such file (\(resolved))", suite: path, line: line,
                caseName: caseName)
        }
        guard FileManager.default.isReadableFile(atPath: resolved) else {
            throw RegressionError(
                .missingFile, "\(what) \(written): cannot read the file", suite: path, line: line, caseName: caseName)
        }
    }

    private func settings(_ mapping: Node.Mapping, caseName: String?) throws(RegressionError) -> Settings {
        var s = Settings()
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            let line = value.mark?.line ?? keyNode.mark?.line
            switch key {
            case "name": s.name = try string(value, key: key, caseName: caseName)
            case "object": s.object = (try string(value, key: key, caseName: caseName), line)
            case "program": s.program = try string(value, key: key, caseName: caseName)
            case "kernel": s.kernel = (try string(value, key: key, caseName: caseName), line)
            case "captures":
                if value.scalar != nil {
                    s.captures = ([try string(value, key: key, caseName: caseName)], line)
                } else if let list = value.sequence, !list.isEmpty {
                    var names: [String] = []
                    for item in list { names.append(try string(item, key: key, caseName: caseName)) }
                    s.captures = (names, line)
                } else {
                    throw malformed("'captures' must be a path or a non-empty list of paths", value, caseName)
                }
            case "sysctls":
                guard let map = value.mapping else {
                    throw malformed("'sysctls' must be a mapping of name: value", value, caseName)
                }
                for (nameNode, valueNode) in map {
                    let name = try string(nameNode, key: "sysctls", caseName: caseName)
                    let setting = try string(valueNode, key: name, caseName: caseName)
                    s.sysctls.append((RegressionCase.Sysctl(name: name, value: setting), nameNode.mark?.line))
                }
            case "options":
                guard let map = value.mapping else {
                    throw malformed("'options' must be a mapping of name: true|false", value, caseName)
                }
                try checkKeys(map, allowed: CaseOptions.keys, what: "options", caseName: caseName)
                for (nameNode, valueNode) in map {
                    let name = nameNode.scalar?.string ?? ""
                    guard valueNode.scalar != nil, let flag = valueNode.bool else {
                        throw malformed("option '\(name)' must be true or false", valueNode, caseName)
                    }
                    s.options.append((name, flag))
                }
            default: break
            }
        }
        return s
    }

    private func checkKeys(_ mapping: Node.Mapping, allowed: [String], what: String, caseName: String?)
        throws(RegressionError)
    {
        var seen: Set<String> = []
        for (keyNode, _) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw malformed("\(what) keys must be plain words", keyNode, caseName)
            }
            guard allowed.contains(key) else {
                throw malformed(
                    "unknown \(what) key '\(key)' (known: \(allowed.joined(separator: ", ")))", keyNode, caseName)
            }
            guard seen.insert(key).inserted else {
                throw malformed("\(what) key '\(key)' given twice", keyNode, caseName)
            }
        }
    }

    private func string(_ node: Node, key: String, caseName: String?) throws(RegressionError) -> String {
        guard let scalar = node.scalar else { throw malformed("'\(key)' must be a single value", node, caseName) }
        return scalar.string
    }

    private func malformed(_ message: String, _ node: Node, _ caseName: String?) -> RegressionError {
        RegressionError(.malformed, message, suite: path, line: node.mark?.line, caseName: caseName)
    }

    private func yamlError(_ error: YamlError) -> RegressionError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { $0.text + ": " } ?? ""
            return RegressionError(.unreadable, "not valid YAML: \(prefix)\(problem)", suite: path, line: mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return RegressionError(
                .malformed, "key '\(duplicates.sorted().joined(separator: "', '"))' given twice", suite: path,
                line: context.mark.line)
        default:
            let first = error.description.split(whereSeparator: \.isNewline).first.map(String.init) ?? "not valid YAML"
            return RegressionError(.unreadable, "not valid YAML: \(first)", suite: path)
        }
    }
}
