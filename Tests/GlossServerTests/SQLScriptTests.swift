import Foundation
@testable import GlossServer
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsOnSemicolonsOutsideQuotesCommentsAndDollarBodies() {
        let script = """
            -- a comment; not a statement
            CREATE TABLE a (x TEXT DEFAULT ';');
            /* block; comment */ INSERT INTO a VALUES ('it''s; fine');
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'no; updates';
            END;
            $$;
            CREATE FUNCTION g() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
            SELECT "odd;name" FROM a;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 5, "\(statements)")
        #expect(statements[0] == "CREATE TABLE a (x TEXT DEFAULT ';')")
        #expect(statements[1] == "INSERT INTO a VALUES ('it''s; fine')")
        #expect(statements[2].hasPrefix("CREATE FUNCTION f()") && statements[2].hasSuffix("END;\n$$"))
        #expect(statements[3] == "CREATE FUNCTION g() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql")
        #expect(statements[4] == "SELECT \"odd;name\" FROM a")
    }

    @Test func theEmbeddedPostgresMigrationsSplitIntoWholeStatements() {
        for migration in EmbeddedMigrations.serverPostgres {
            let statements = SQLScript.statements(migration.sql)
            #expect(!statements.isEmpty)
            for statement in statements {
                let opens = statement.components(separatedBy: "$$").count - 1
                #expect(opens % 2 == 0, "unbalanced dollar quotes in \(statement)")
            }
        }
    }
}
