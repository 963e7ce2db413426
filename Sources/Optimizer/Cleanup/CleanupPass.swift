import ONNXIR

/// Runs the cleanup passes in order, repeatedly, until a round changes nothing (or the round
/// limit is reached). Each is also usable alone.
public struct CleanupPass: GraphPass {
    public static let name = "cleanup"
    public static let summary = "Run every cleanup pass to a fixed point."
    public static let optionSpecs = [
        PassOptionSpec("max-rounds", .int(1...100), default: "10", "Rounds at most before stopping.")
    ]
    /// The passes cleanup runs, in order.
    static let members: [PassEntry] = [
        .of(ConstantsToInitializers.self), .of(IdentityElimination.self), .of(ShapeFolding.self), .of(ShapeGatherFolding.self),
        .of(ReshapeTargetFolding.self),
        .of(ZeroInitialStateElimination.self),
        .of(ConstantFolding.self),
        .of(NoOpElimination.self), .of(ReshapeMerging.self), .of(BatchNormFusion.self), .of(AffineFusion.self), .of(PadFusion.self),
        .of(MatMulAddFusion.self), .of(InitializerDeduplication.self), .of(CommonSubexpressionElimination.self),
        .of(DeadCodeElimination.self),
    ]
    let maxRounds: Int

    public init(options: PassOptions) throws { maxRounds = options.int("max-rounds") }

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        var subReports: [PassReport] = []
        var history = context.history
        for _ in 0..<maxRounds {
            var changed = false
            for member in Self.members {
                let pass = try member.instantiate()
                let sub = try PassManager.runOne(
                    pass, step: PipelineStep(pass: member.name), on: context.model, history: history,
                    verifyEach: PassManager.verifyEachByDefault, log: context.log)
                history.append(member.name)
                changed = changed || sub.modified
                report.changes += sub.changes
                if sub.modified || !sub.skipped.isEmpty { subReports.append(sub) }
            }
            if !changed { break }
        }
        // A skip reported in every round is one skip.
        var seen = Set<String>()
        for sub in subReports { for s in sub.skipped where seen.insert("\(s.candidate)|\(s.reason)").inserted { report.skipped.append(s) } }
        report.subReports = subReports
        return report
    }
}
