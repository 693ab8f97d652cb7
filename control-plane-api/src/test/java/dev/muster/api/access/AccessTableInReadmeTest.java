package dev.muster.api.access;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.api.identity.TokenKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's route × scope × token kind table is the code's: {@link RouteTable#RULES} with {@link
 * TokenKind#allowed}. A route, scope or kind changed in the code and not in the README fails here,
 * with the table to paste.
 */
class AccessTableInReadmeTest {

  @Test
  void theReadmeShowsTheRouteTableOfTheCode() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String table = table();
    assertTrue(
        readme.contains(table),
        "README.md's table of routes, scopes and token kinds is not the code's; it should be:\n\n"
            + table);
  }

  static String table() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "| route | scope | "
            + Arrays.stream(TokenKind.values())
                .map(TokenKind::wire)
                .collect(Collectors.joining(" | "))
            + " |");
    lines.add("|---|---|" + "---|".repeat(TokenKind.values().length));
    for (RouteTable.Rule rule : RouteTable.RULES) {
      StringBuilder line =
          new StringBuilder("| `" + rule.method() + " " + rule.template() + "` | ");
      line.append(rule.scope().map(s -> "`" + s.wire() + "`").orElse("any token"));
      line.append(" |");
      for (TokenKind kind : TokenKind.values()) {
        boolean may = rule.scope().map(kind.allowed()::contains).orElse(true);
        String mark = may ? "yes" : "";
        if (may && rule.own() && kind == TokenKind.PARTICIPANT) {
          mark = "its own";
        }
        line.append(' ').append(mark).append(" |");
      }
      lines.add(line.toString().replace("  |", " |"));
    }
    return String.join("\n", lines);
  }
}
