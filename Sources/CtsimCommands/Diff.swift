import ArgumentParser

/// `ctsim diff`: the simulator and the live kernel on the same input, every difference printed.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Run the simulator and the live kernel on the same input and print every difference.",
        discussion: """
            The kernel side runs in private network namespaces that are deleted at the end, on \
            error and on SIGINT/SIGTERM; the host's conntrack table is only ever read (diff table). \
            Exit codes: 0 the two agree; 1 they differ; 2 bad input; 3 the kernel side (root, \
            network namespaces, the conntrack kfuncs) or the simulator side is not available, with \
            one line saying what is missing.
            """,
        subcommands: [DiffTrack.self, DiffTable.self, DiffVerify.self, DiffReplay.self]
    )
}
