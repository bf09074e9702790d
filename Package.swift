// swift-tools-version: 6.0
//
// ctsim: a simulator, verifier and differential tester for XDP/TC programs that use the Linux
// conntrack kfuncs. One target per pipeline stage, each depending only on earlier ones; C
// libraries are leaf `.systemLibrary` targets (see README.md, "Architecture").
import PackageDescription

let package = Package(
    name: "ctsim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ctsim", targets: ["ctsim"]),
        .library(name: "Packets", targets: ["Packets"]),
        .library(name: "Conntrack", targets: ["Conntrack"]),
        .library(name: "BPFObject", targets: ["BPFObject"]),
        .library(name: "BPFVM", targets: ["BPFVM"]),
        .library(name: "Kfuncs", targets: ["Kfuncs"]),
        .library(name: "BPFVerifier", targets: ["BPFVerifier"]),
        .library(name: "Replay", targets: ["Replay"]),
        .library(name: "KernelBackend", targets: ["KernelBackend"]),
        .library(name: "CtsimTesting", targets: ["CtsimTesting"]),
        .library(name: "SampleCaptures", targets: ["SampleCaptures"]),
        .library(name: "Regression", targets: ["Regression"]),
        .library(name: "CtsimKit", targets: ["CtsimKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // MARK: C libraries (leaves)
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev"])]
        ),
        .systemLibrary(
            name: "CNetfilterConntrack",
            pkgConfig: "libnetfilter_conntrack",
            providers: [.apt(["libnetfilter-conntrack-dev", "libnfnetlink-dev", "libmnl-dev"])]
        ),
        .target(name: "CLinuxShims"),

        // MARK: Packets: captures (libpcap kept private) and the dissector
        .target(
            name: "Packets",
            dependencies: ["CPcap"]
        ),

        // MARK: The conntrack model (pure Swift)
        .target(
            name: "Conntrack",
            dependencies: ["Packets"]
        ),

        // MARK: BPF objects (ELF, BTF, CO-RE, relocations, disassembler, assembler) and the VM
        .target(
            name: "BPFObject"
        ),
        .target(
            name: "Kfuncs",
            dependencies: ["BPFObject"]
        ),
        .target(
            name: "BPFVerifier",
            dependencies: ["BPFObject", "Kfuncs"]
        ),
        .target(
            name: "BPFVM",
            dependencies: ["BPFObject", "Kfuncs", "BPFVerifier"]
        ),
        .target(
            name: "ConntrackKfuncs",
            dependencies: ["Kfuncs", "Conntrack", "BPFObject"]
        ),

        // MARK: Replay: contexts, the clock, verdicts, traces
        .target(
            name: "Replay",
            dependencies: ["Packets", "BPFObject", "BPFVM", "BPFVerifier", "Kfuncs", "ConntrackKfuncs", "Conntrack"]
        ),

        // MARK: Users' tests: a program under test, hand-built traffic (the library product)
        .target(
            name: "CtsimKit",
            dependencies: ["Packets", "Conntrack", "BPFObject", "Kfuncs", "ConntrackKfuncs", "Replay"]
        ),

        // MARK: Regression suites: suite files, golden results, check and diff, JUnit
        .target(
            name: "Regression",
            dependencies: [
                "Packets", "Conntrack", "BPFObject", "Kfuncs", "ConntrackKfuncs", "Replay",
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // MARK: The live kernel: namespaces, injection, libnetfilter_conntrack, libbpf
        .target(
            name: "KernelBackend",
            dependencies: ["Packets", "Conntrack", "CBPF", "CNetfilterConntrack", "CLinuxShims"]
        ),

        // MARK: Commands and the executable
        .target(
            name: "CtsimCommands",
            dependencies: [
                "Packets",
                "Conntrack",
                "BPFObject",
                "BPFVM",
                "Kfuncs",
                "BPFVerifier",
                "ConntrackKfuncs",
                "Replay",
                "Regression",
                "KernelBackend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ctsim",
            dependencies: ["CtsimCommands"]
        ),
        .target(
            name: "SampleCaptures",
            dependencies: ["Packets"]
        ),
        .executableTarget(
            name: "ctsim-samples",
            dependencies: ["Packets", "SampleCaptures"]
        ),

        // MARK: Test support, also for users' own tests
        .target(
            name: "CtsimTesting",
            dependencies: ["Packets", "KernelBackend", "SampleCaptures"]
        ),

        // MARK: Tests
        .testTarget(
            name: "PacketsTests",
            dependencies: ["Packets", "SampleCaptures", "CtsimTesting"]
        ),
        .testTarget(
            name: "ConntrackTests",
            dependencies: ["Conntrack", "Packets", "SampleCaptures"]
        ),
        .testTarget(
            name: "BPFObjectTests",
            dependencies: ["BPFObject", "CtsimTesting"],
            exclude: ["Inputs"]
        ),
        .testTarget(
            name: "BPFVMTests",
            dependencies: ["BPFVM", "BPFVerifier", "BPFObject", "CtsimTesting", "KernelBackend"]
        ),
        .testTarget(
            name: "BPFVerifierTests",
            dependencies: ["BPFVerifier", "BPFObject", "Kfuncs", "ConntrackKfuncs", "KernelBackend", "CtsimTesting"],
            exclude: ["Inputs"]
        ),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "Replay", "Kfuncs", "ConntrackKfuncs", "Conntrack", "BPFVM", "BPFObject", "Packets", "SampleCaptures",
                "KernelBackend", "CtsimTesting",
            ]
        ),
        .testTarget(
            name: "DifferentialTests",
            dependencies: ["Conntrack", "KernelBackend", "CtsimTesting", "Packets", "SampleCaptures"]
        ),
        .testTarget(
            name: "KernelBackendTests",
            dependencies: ["KernelBackend", "CtsimTesting", "Packets", "SampleCaptures"]
        ),
        .testTarget(
            name: "CtsimKitTests",
            dependencies: ["CtsimKit", "Packets", "Conntrack", "CtsimTesting", "KernelBackend", "SampleCaptures"]
        ),
        .testTarget(
            name: "RegressionTests",
            dependencies: ["Regression", "Replay", "Packets", "Conntrack", "CtsimTesting", "KernelBackend", "SampleCaptures"]
        ),
        .testTarget(
            name: "CtsimCommandsTests",
            dependencies: ["CtsimCommands", "Packets", "CtsimTesting"]
        ),
    ]
)
