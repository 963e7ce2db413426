import Foundation

/// Resolves an `external_data` location against the model's folder, refusing anything that could
/// read outside it: absolute paths, `..` components, and symlinks whose target leaves the folder.
enum ExternalDataLocation {
    static func resolve(_ location: String, modelFolder: URL, tensor: String) throws -> URL {
        func refuse(_ why: String) -> DecodeFailure {
            DecodeFailure(location: "tensor '\(tensor)'", reason: "external data location '\(location)' \(why)")
        }
        if location.isEmpty { throw refuse("is empty") }
        let isDrivePath = location.count >= 2 && location.first!.isLetter && location.dropFirst().first == ":"
        if location.hasPrefix("/") || location.hasPrefix("\\") || isDrivePath {
            throw refuse("is an absolute path, outside the model's folder")
        }
        let components = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if components.contains(where: { $0 == ".." }) {
            throw refuse("contains '..' and points outside the model's folder")
        }
        let folder = modelFolder.standardizedFileURL.resolvingSymlinksInPath()
        let candidate = folder.appendingPathComponent(location).standardizedFileURL
        let resolved = candidate.resolvingSymlinksInPath()
        let folderPath = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        if !resolved.path.hasPrefix(folderPath) {
            throw refuse("resolves (through a symlink) to \(resolved.path), outside the model's folder")
        }
        guard FileManager.default.fileExists(atPath: resolved.path) else {
            throw refuse("names a file that does not exist (\(resolved.path))")
        }
        return resolved
    }
}
