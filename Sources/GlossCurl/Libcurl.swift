import CCurl

/// Facts about the libcurl the client links, the CLI's HTTP stack.
public enum Libcurl {
    /// libcurl's version, e.g. `7.88.1`.
    public static var version: String {
        guard let info = gloss_curl_version_info(), let version = info.pointee.version else { return "unknown" }
        return String(cString: version)
    }
}
