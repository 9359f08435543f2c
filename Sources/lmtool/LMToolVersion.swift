enum LMToolVersion {
    static let current = "0.1.0"

    static var swift: String {
        #if swift(>=6.3)
            "6.3 or later"
        #elseif swift(>=6.2)
            "6.2"
        #else
            "6.0"
        #endif
    }
}
