/// LSTM, GRU and RNN. With layout 0, X is [seq, batch, input] and the outputs are
///   Y [seq, directions, batch, hidden], Y_h and Y_c (LSTM only) [directions, batch, hidden];
/// layout 1 puts batch first: X [batch, seq, input], Y [batch, seq, directions, hidden],
/// Y_h [batch, directions, hidden]. hidden_size comes from the attribute or from R's last dim.
enum RecurrentRules {
    static func recurrent(_ c: NodeContext) -> RuleResult {
        guard let type = c.elementType(0) else { return .unknown }
        guard let x = c.dims(0), x.count == 3 else { return RuleResult(types: Array(repeating: .tensor(type, nil), count: 3)) }
        let hidden: Dimension = c.int("hidden_size").map { $0 > 0 ? .value($0) : .unknown } ?? c.dims(2)?.last ?? .unknown
        let directions: Dimension
        switch c.string("direction") {
        case "bidirectional": directions = .value(2)
        case nil, "forward", "reverse": directions = .value(1)
        default: directions = .unknown
        }
        let batchFirst = c.int("layout") == 1
        let (seq, batch) = batchFirst ? (x[1], x[0]) : (x[0], x[1])
        let y = batchFirst ? [batch, seq, directions, hidden] : [seq, directions, batch, hidden]
        let state = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden]
        return RuleResult(types: [.tensor(type, TensorShape(y)), .tensor(type, TensorShape(state)), .tensor(type, TensorShape(state))])
    }
}
