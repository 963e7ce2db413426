import Foundation

/// Finds files of the repository (Fixtures/, Tests/BadInputs/, Tools/) from test code, wherever
/// `swift test` runs from.
public enum RepositoryFiles {
    /// The repository root: the folder holding Package.swift above this source file.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// Every `.onnx` file under Fixtures/, sorted by path.
    public static func fixtureModels() -> [URL] {
        let folder = url("Fixtures")
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "onnx" }.sorted { $0.path < $1.path }
    }

    /// A fresh temporary folder, removed by the caller when done.
    public static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
