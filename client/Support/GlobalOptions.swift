import ArgumentParser
import Foundation
import GlossFileModes
import GlossStore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The replica's store file (default: $GLOSS_STORE, else ~/.local/share/gloss/default.gloss).",
            valueName: "path"))
    var store: String?

    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false

    /// The store path: --store, then $GLOSS_STORE, then the per-user default.
    var storePath: String {
        if let store, !store.isEmpty { return store }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["GLOSS_STORE"], !path.isEmpty { return path }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return (dataHome as NSString).appendingPathComponent("gloss/default.gloss")
    }

    /// Opens the existing store. When its files were open to other users, opening made
    /// them 0600, and one line on stderr says so (unless `noticeLoosePermissions` is false).
    func openStore(noticeLoosePermissions: Bool = true) throws -> GlossDatabase {
        let store = try GlossDatabase.open(at: storePath)
        if noticeLoosePermissions, let notice = LoosePermissions.notice(store.loosePermissions) {
            Terminal.printError("note: \(notice)")
        }
        return store
    }
}
