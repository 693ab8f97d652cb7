package dev.muster.api.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.api.access.RouteTable;
import dev.muster.api.fuzz.RequestGenerator.Route;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The fuzz tests reach every route: each rule of the {@link RouteTable} (method and template) is a
 * {@link Route} of {@link RequestGenerator}, so a route added without fuzzing fails the build; and
 * each route the generator names under {@code /api/v1} is a rule, so it fuzzes no route that is
 * gone. (Lists: {@code ListsPageToTheEndTest#everyListOfTheApiIsWalked}.)
 */
class RouteCoverageTest {

  @Test
  void everyRuleOfTheRouteTableIsFuzzed() {
    Set<String> fuzzed =
        Arrays.stream(Route.values())
            .filter(r -> r.template != null)
            .map(r -> r.method + " " + r.template)
            .collect(Collectors.toSet());
    List<String> missing =
        RouteTable.RULES.stream()
            .map(rule -> rule.method() + " " + rule.template())
            .filter(rule -> !fuzzed.contains(rule))
            .toList();
    assertTrue(
        missing.isEmpty(),
        "routes of RouteTable.RULES that RequestGenerator.Route does not name (add each, with its"
            + " paths, query parameters and bodies, to the generator; and a list to"
            + " ListsPageToTheEndTest): "
            + missing);
  }

  @Test
  void everyApiRouteTheGeneratorNamesIsARule() {
    Set<String> rules =
        RouteTable.RULES.stream()
            .map(rule -> rule.method() + " " + rule.template())
            .collect(Collectors.toSet());
    List<String> stale =
        Arrays.stream(Route.values())
            .filter(r -> r.template != null && r.template.startsWith("/api/"))
            .map(r -> r + ": " + r.method + " " + r.template)
            .filter(r -> !rules.contains(r.substring(r.indexOf(": ") + 2)))
            .toList();
    assertTrue(stale.isEmpty(), "generator routes that RouteTable.RULES does not have: " + stale);
  }
}
