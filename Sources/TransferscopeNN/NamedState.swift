/// A module's parameters, buffers and counters under their PyTorch state-dict names
/// (`layer1.0.conv1.weight`, `bn1.running_mean`, `bn1.num_batches_tracked`), in PyTorch's order.
public struct NamedState {
    /// Trainable tensors, e.g. (`conv1.weight`, its `Parameter`), in PyTorch's order.
    public var parameters: [(name: String, parameter: Parameter)] = []
    /// Non-trainable tensors, e.g. (`bn1.running_mean`, its `Buffer`).
    public var buffers: [(name: String, buffer: Buffer)] = []
    /// Integer state, e.g. (`bn1.num_batches_tracked`, its `Counter`).
    public var counters: [(name: String, counter: Counter)] = []

    /// Empty state, filled by assignment or `append(_:prefix:)`.
    public init() {}

    /// Every name, parameters first.
    public var names: [String] { parameters.map(\.name) + buffers.map(\.name) + counters.map(\.name) }

    /// The parameter called `name`, if any.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }?.parameter
    }

    /// Appends `other`'s entries with `prefix.` put before their names.
    public mutating func append(_ other: NamedState, prefix: String) {
        let head = prefix.isEmpty ? "" : prefix + "."
        parameters += other.parameters.map { (head + $0.name, $0.parameter) }
        buffers += other.buffers.map { (head + $0.name, $0.buffer) }
        counters += other.counters.map { (head + $0.name, $0.counter) }
    }
}

/// Something that owns named state: a layer, a block, a model.
public protocol StateContainer: AnyObject {
    /// The state with names relative to this container.
    var namedState: NamedState { get }
}
