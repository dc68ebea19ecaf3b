import Foundation
import PackagePlugin

/// Embeds the SQL migrations of `Migrations/` into the target that uses this plugin.
///
/// Which migration sets a target gets is decided here, by target name, so the `.sql`
/// files stay the single source of truth and no installed binary reads them at run time.
@main
struct EmbedMigrations: BuildToolPlugin {
    static let setsByTarget: [String: [String]] = [
        "GlossStore": ["client"],
        "GlossServer": ["server-sqlite", "server-postgres"],
    ]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let sets = Self.setsByTarget[target.name] else { return [] }
        let migrations = context.package.directoryURL.appending(path: "Migrations")
        var inputs: [URL] = []
        var arguments: [String] = []
        for set in sets {
            let directory = migrations.appending(path: set)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".sql") }
                .sorted()
            inputs += files.map { directory.appending(path: $0) }
            arguments.append("\(set)=\(directory.path)")
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding SQL migrations for \(target.name)",
                executable: try context.tool(named: "EmbedSQL").url,
                arguments: [output.path] + arguments,
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
