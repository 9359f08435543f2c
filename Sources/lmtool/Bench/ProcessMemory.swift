#if canImport(Glibc)
    import Glibc
#endif

enum ProcessMemory {
    /// The process's peak resident set size so far (`getrusage`), in megabytes.
    static var peakResidentMegabytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    }
}
