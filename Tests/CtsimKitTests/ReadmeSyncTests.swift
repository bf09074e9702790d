import Foundation
import Testing

/// The README's examples are copies of code that compiles and runs here.
@Suite("README examples")
struct ReadmeSyncTests {
    @Test(
        "each example file's code appears verbatim in README.md",
        arguments: ["ReadmeSwiftTestingExample.swift", "ReadmeXCTestExample.swift"])
    func inSync(_ file: String) throws {
        let readme = try String(contentsOfFile: KitTestFiles.root + "/README.md", encoding: .utf8)
        let source = try String(contentsOfFile: KitTestFiles.root + "/Tests/CtsimKitTests/" + file, encoding: .utf8)
        // Everything after the first line (the comment saying what the file is).
        let code = String(source.drop { $0 != "\n" }.dropFirst())
        #expect(code.count > 200)
        #expect(
            readme.contains("```swift\n" + code + "```\n"), "README.md does not hold \(file) verbatim; copy it again")
    }
}
