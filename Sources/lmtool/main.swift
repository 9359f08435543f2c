import LMTensor

// OpenBLAS fixes its kernel when it loads, before any Swift code runs; this re-executes
// lmtool once with the best kernel for the CPU unless the user chose one.
BLASKernel.prepareProcess(arguments: CommandLine.arguments)
LMToolCommand.main()
