public import KernelBackend

/// Live-kernel fixtures for tests: each builds what a test needs, hands it over, and always
/// deletes it, whether the body returns, throws or fails an expectation.
///
/// ```swift
/// @Test(.needsKernel) func tracked() throws {
///     try withForwardingTopology { topology in
///         try topology.makeInjector().inject(capture)
///         let entries = try topology.routerConntrack()
///     }
/// }
/// ```
public enum KernelFixture {
    /// A `ForwardingTopology` for `body`, torn down on every exit path. Checks kernel support
    /// first, so a missing requirement fails with a message saying what.
    public static func withForwardingTopology<Result>(
        configuration: ForwardingTopology.Configuration = .init(), _ body: (ForwardingTopology) throws -> Result
    ) throws -> Result {
        try KernelRequirement.require()
        return try ForwardingTopology.withTopology(configuration: configuration, body)
    }

    /// The async form.
    public static func withForwardingTopology<Result>(
        configuration: ForwardingTopology.Configuration = .init(),
        _ body: (ForwardingTopology) async throws -> Result
    ) async throws -> Result {
        try KernelRequirement.require()
        return try await ForwardingTopology.withTopology(configuration: configuration, body)
    }

    /// A single fresh namespace for `body`, deleted on every exit path.
    public static func withNamespace<Result>(_ body: (NetworkNamespace) throws -> Result) throws -> Result {
        try KernelRequirement.require()
        return try NetworkNamespace.withNamespace(body)
    }
}

/// `KernelFixture.withForwardingTopology`, as a free function.
public func withForwardingTopology<Result>(
    configuration: ForwardingTopology.Configuration = .init(), _ body: (ForwardingTopology) throws -> Result
) throws -> Result {
    try KernelFixture.withForwardingTopology(configuration: configuration, body)
}

/// `KernelFixture.withForwardingTopology`, async, as a free function.
public func withForwardingTopology<Result>(
    configuration: ForwardingTopology.Configuration = .init(), _ body: (ForwardingTopology) async throws -> Result
) async throws -> Result {
    try await KernelFixture.withForwardingTopology(configuration: configuration, body)
}
