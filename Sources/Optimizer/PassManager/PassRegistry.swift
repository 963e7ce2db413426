/// A registered pass: its metadata and how to build it from validated options.
public struct PassEntry: Sendable {
    public let name: String
    public let summary: String
    public let optionSpecs: [PassOptionSpec]
    let make: @Sendable (PassOptions) throws -> any GraphPass

    static func of<P: GraphPass>(_: P.Type) -> PassEntry {
        PassEntry(name: P.name, summary: P.summary, optionSpecs: P.optionSpecs, make: { try P(options: $0) })
    }

    /// Validates `options` and builds the pass.
    public func instantiate(_ options: [String: String] = [:]) throws -> any GraphPass {
        try make(PassOptions(passName: name, specs: optionSpecs, values: options))
    }
}

/// Every pass Whittle ships, in one explicit list (a test checks each pass type is here).
public enum PassRegistry {
    public static let all: [PassEntry] = [
        .of(CleanupPass.self),
        .of(DeadCodeElimination.self),
        .of(ConstantsToInitializers.self),
        .of(IdentityElimination.self),
        .of(ShapeFolding.self),
        .of(ShapeGatherFolding.self),
        .of(ReshapeTargetFolding.self),
        .of(ZeroInitialStateElimination.self),
        .of(ConstantFolding.self),
        .of(NoOpElimination.self),
        .of(ReshapeMerging.self),
        .of(BatchNormFusion.self),
        .of(AffineFusion.self),
        .of(PadFusion.self),
        .of(MatMulAddFusion.self),
        .of(CommonSubexpressionElimination.self),
        .of(InitializerDeduplication.self),
        .of(QuantizationPass.self),
    ]

    public static func lookup(_ name: String) -> PassEntry? { all.first { $0.name == name } }

    static func instantiate(_ step: PipelineStep) throws -> any GraphPass {
        guard let entry = lookup(step.pass) else { throw PassError.unknownPass(step.pass, known: all.map(\.name)) }
        return try entry.instantiate(step.options)
    }
}
