// The ctsim executable: everything lives in CtsimCommands so tests can drive it.
import CtsimCommands

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(Ctsim.execute(Array(CommandLine.arguments.dropFirst())))
