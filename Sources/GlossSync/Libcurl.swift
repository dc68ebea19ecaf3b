import CCurl

/// Facts about the libcurl the client links, Gloss's HTTP stack.
public enum Libcurl {
    /// libcurl's version, e.g. `7.88.1`.
    public static var version: String {
        guard let info = curl_version_info(CURLVERSION_NOW), let version = info.pointee.version else { return "unknown" }
        return String(cString: version)
    }
}
