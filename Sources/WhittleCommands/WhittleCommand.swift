import ArgumentParser

/// The `whittle` command: subcommands only; each lives in its own file.
public struct WhittleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "whittle",
        abstract: "Make ONNX models smaller and faster: inspect, check, convert and optimize them.",
        discussion: """
            Whittle reads any ONNX export (IR 3 to 11, opsets 7 to 23, subgraphs, functions, external \
            data, models over 2 GB) and writes files that onnxruntime and the onnx checker accept.

            Exit status: 0 success; 1 the work failed (invalid model, unsupported op, budget \
            exceeded), with a one-line reason on stderr; 64 bad usage.
            """,
        version: WhittleVersion.string,
        subcommands: [
            InspectCommand.self, CheckCommand.self, ConvertCommand.self, RunCommand.self, CompareCommand.self, BenchCommand.self,
            OptimizeCommand.self,
            PassesCommand.self, DiffCommand.self,
        ]
    )

    public init() {}
}

public enum WhittleVersion {
    public static let string = "0.1.0"
}
