import ArgumentParser
import Foundation
import Optimizer

/// `whittle passes`: every pass with its options.
struct PassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passes", abstract: "List every pass with its options, their types, defaults and descriptions.")

    @Flag(help: "Print the list as JSON on stdout.")
    var json = false

    struct Listing: Codable {
        var name: String
        var summary: String
        var options: [Option]
        struct Option: Codable {
            var name: String
            var type: String
            var defaultValue: String
            var help: String
        }
    }

    func run() throws {
        let listing = PassRegistry.all.map { entry in
            Listing(
                name: entry.name, summary: entry.summary,
                options: entry.optionSpecs.map {
                    .init(name: $0.name, type: $0.type.description, defaultValue: $0.defaultValue, help: $0.help)
                })
        }
        if json {
            try CommandSupport.printJSON(listing)
            return
        }
        for pass in listing {
            print("\(pass.name)\n    \(pass.summary)")
            for o in pass.options { print("    \(o.name) (\(o.type), default \(o.defaultValue)): \(o.help)") }
        }
    }
}
