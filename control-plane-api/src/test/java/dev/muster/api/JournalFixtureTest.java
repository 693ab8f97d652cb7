package dev.muster.api;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import dev.muster.api.ApiClient.Response;
import dev.muster.config.ids.IdGenerator;
import dev.muster.config.json.Json;
import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.coordinator.model.Phase;
import dev.muster.testing.Eventually;
import dev.muster.testing.JournalFixture;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events are forever: the journal that release 4ea896b wrote ({@code fixtures/journal-4ea896b}, see
 * its README) is loaded into a fresh database, and a node of this release serves every entity in it
 * over HTTP, reads back what that release recorded (amounts as exact decimals, the values it
 * accepted and then failed on included), folds it into its read side, and recovers it all again
 * after a restart, with events of its own written on top of the old ones. On H2 and PostgreSQL.
 */
class JournalFixtureTest {
  private static final String FIXTURE = "/fixtures/journal-4ea896b/journal.json";
  private static final String FIX = "ws-fix";
  private static final String POISON = "ws-poison";
  private static final String BUDGET = "ws-fix-budget";
  private static final String MISSIONS = "/api/v1/missions/";
  private static final String PARTICIPANTS = "/api/v1/participants/";

  /** How long the read side may take to fold the old events after the node has started. */
  private static final Duration READ_SIDE = Duration.ofSeconds(20);

  @Test
  void recoversTheJournalOfRelease4ea896bOnH2(@TempDir Path dataDir) throws Exception {
    try (TestDatabase database = TestDatabase.h2(dataDir)) {
      recoversEverything(database);
    }
  }

  @Test
  void recoversTheJournalOfRelease4ea896bOnPostgres() throws Exception {
    try (TestDatabase database = TestDatabase.postgres()) {
      recoversEverything(database);
    }
  }

  private static void recoversEverything(TestDatabase database) throws Exception {
    Path fixture = Path.of(JournalFixtureTest.class.getResource(FIXTURE).toURI());
    List<Entity> entities = entities(fixture);
    DatabaseSettings db = database.settings();
    JournalMigrations.migrate(db);
    load(db, fixture);
    int loaded = journalRows(db);
    assertEquals(entities.stream().mapToInt(Entity::events).sum(), loaded, "the fixture's events");

    Config config = TestNodes.singleNode(database);
    Map<String, String> finalStates = new TreeMap<>();
    try (MusterApplication node = MusterApplication.start(config)) {
      ApiClient api = new ApiClient(node.httpAddress());
      Recovered recovered = recoverAll(api, entities);
      assertAll(
          "what release 4ea896b recorded reads back",
          () -> assertMissions(recovered),
          () -> assertPoisonedMissions(recovered),
          () -> assertParticipants(recovered),
          () -> assertBudget(recovered));
      assertReadSideFolded(api, recovered);
      for (Entity mission : ofType(entities, "Mission")) {
        String state = recovered.mission(mission.id()).get("state").asText();
        if (Phase.ofWire(state).isFinal()) {
          finalStates.put(mission.id(), state);
        }
      }
    }
    assertTrue(journalRows(db) > loaded, "the node wrote events of its own on top of the old ones");

    try (MusterApplication restarted = MusterApplication.start(config)) {
      Recovered again = recoverAll(new ApiClient(restarted.httpAddress()), entities);
      assertAll(
          "a final mission keeps its state across the restart",
          finalStates.entrySet().stream()
              .map(
                  e ->
                      () ->
                          assertEquals(
                              e.getValue(),
                              again.mission(e.getKey()).get("state").asText(),
                              e.getKey())));
    }
  }

  // The fixture

  /** A persistence id of the fixture: its entity type, its id, and how many events it has. */
  private record Entity(String type, String id, int events) {}

  private static List<Entity> entities(Path fixture) throws IOException {
    JsonNode rows = Json.mapper().readTree(fixture.toFile());
    Map<String, Integer> events = new TreeMap<>();
    rows.path("event_journal").forEach(r -> events.merge(persistenceId(r), 1, Integer::sum));
    rows.path("snapshot").forEach(r -> events.putIfAbsent(persistenceId(r), 0));
    List<Entity> entities = new ArrayList<>();
    events.forEach(
        (id, count) -> {
          String[] parts = id.split("\\|", 2);
          entities.add(new Entity(parts[0], parts[1], count));
        });
    return entities;
  }

  private static String persistenceId(JsonNode row) {
    return row.get("persistence_id").asText();
  }

  private static List<Entity> ofType(List<Entity> entities, String type) {
    return entities.stream().filter(e -> e.type().equals(type)).toList();
  }

  private static void load(DatabaseSettings db, Path fixture) throws SQLException, IOException {
    try (Connection connection =
        DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      JournalFixture.load(connection, fixture);
    }
  }

  private static int journalRows(DatabaseSettings db) throws SQLException {
    try (Connection connection =
            DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement statement = connection.createStatement()) {
      return count(statement, "SELECT COUNT(*) FROM \"event_journal\"");
    }
  }

  private static int count(Statement statement, String sql) throws SQLException {
    try (ResultSet result = statement.executeQuery(sql)) {
      result.next();
      return result.getInt(1);
    }
  }

  // Recovery

  /** What the node answered to every read of every entity, by path. */
  private record Recovered(Map<String, JsonNode> answers) {
    JsonNode mission(String id) {
      return answers.get(MISSIONS + id);
    }

    JsonNode history(String id) {
      return answers.get(MISSIONS + id + "/history");
    }

    JsonNode participant(String id) {
      return answers.get(PARTICIPANTS + id);
    }

    JsonNode inbox(String id) {
      return answers.get(PARTICIPANTS + id + "/inbox?wait=0s");
    }

    JsonNode budget(String scope) {
      return answers.get("/api/v1/budgets/" + scope);
    }
  }

  /** The reads that recover one entity: each sends it a command, so it replays its journal. */
  private static List<String> reads(Entity entity) {
    return switch (entity.type()) {
      case "Mission" -> List.of(MISSIONS + entity.id(), MISSIONS + entity.id() + "/history");
      case "Participant" -> List.of(PARTICIPANTS + entity.id());
      case "Inbox" -> List.of(PARTICIPANTS + entity.id() + "/inbox?wait=0s");
      case "Budget" -> List.of("/api/v1/budgets/" + entity.id());
      default -> throw new AssertionError("an entity type this test does not read: " + entity);
    };
  }

  /**
   * Reads every entity, all before any answer is checked, so that a failure names every entity that
   * does not recover; a mission's history holds at least the events the fixture has for it.
   */
  private static Recovered recoverAll(ApiClient api, List<Entity> entities) {
    Map<String, Response> answers = new LinkedHashMap<>();
    for (Entity entity : entities) {
      reads(entity).forEach(path -> answers.put(path, api.get(path)));
    }
    assertAll(
        "every entity of the fixture recovers",
        answers.entrySet().stream()
            .map(
                a ->
                    () ->
                        assertEquals(
                            200,
                            a.getValue().status(),
                            "GET " + a.getKey() + " answered " + a.getValue().body())));
    Map<String, JsonNode> bodies = new LinkedHashMap<>();
    answers.forEach((path, answer) -> bodies.put(path, answer.body()));
    Recovered recovered = new Recovered(bodies);
    for (Entity mission : ofType(entities, "Mission")) {
      JsonNode events = recovered.history(mission.id()).path("events");
      assertTrue(
          events.size() >= mission.events(),
          mission.id() + " has " + mission.events() + " events in the fixture, history: " + events);
    }
    return recovered;
  }

  // What release 4ea896b recorded

  private static void assertMissions(Recovered r) {
    JsonNode m1 = r.mission(fix(1));
    assertState("succeeded", m1);
    assertAmount("5", m1.at("/budget/estimate"), "m1's budget estimate");
    assertAmount("2", m1.at("/attempts/0/usage/cost"), "m1's cost");
    assertAmount("1.5", event(r.history(fix(1)), "heartbeat_recorded").get("cost"), "m1's beat");
    assertTrue(m1.at("/result/ok").asBoolean(), m1.toString());

    JsonNode m2 = r.mission(fix(2));
    assertState("succeeded", m2);
    assertEquals(List.of("failed", "succeeded"), texts(m2.get("attempts"), "state"));
    assertTrue(m2.at("/attempts/0/failure/retryable").asBoolean(), m2.toString());
    assertEquals("partial", m2.at("/attempts/0/failure/cleanup_status").asText());

    JsonNode m3 = r.mission(fix(3));
    assertState("failed", m3);
    assertEquals("needs_recovery", m3.at("/attempts/0/failure/cleanup_status").asText());
    assertEquals("resolved", m3.at("/escalations/0/state").asText(), m3.toString());
    assertEquals("accept_failure", m3.at("/escalations/0/resolution/action").asText());

    JsonNode m4 = r.mission(fix(4));
    assertState("cancelled", m4);
    assertTrue(m4.at("/approval/granted").asBoolean(), m4.toString());
    assertEquals("withdrawn", m4.at("/attempts/0/state").asText(), "m4's declined offer");

    JsonNode m5 = r.mission(fix(5));
    assertState("failed", m5);
    assertTrue(m5.at("/approval/granted").isBoolean(), m5.toString());
    assertFalse(m5.at("/approval/granted").asBoolean(), "m5's approval was denied");

    JsonNode m6 = r.mission(fix(6));
    assertState("succeeded", m6);
    List<String> children = List.of(fix(6) + ".c1", fix(6) + ".c2");
    assertEquals(children, texts(m6.get("children")));
    assertEquals("all", m6.at("/split/join").asText(), m6.toString());
    for (String child : children) {
      assertState("succeeded", r.mission(child));
      assertEquals(fix(6), r.mission(child).get("parent_id").asText());
    }

    JsonNode m7 = r.mission(fix(7));
    assertState("succeeded", m7);
    assertEquals(List.of("handed_off", "succeeded"), texts(m7.get("attempts"), "state"));
    assertEquals(
        List.of(participant(1), participant(5)), texts(m7.get("attempts"), "participant_id"));
    assertEquals(1, m7.get("handoffs").size(), m7.toString());

    JsonNode m8 = r.mission(fix(8));
    assertState("escalated", m8);
    assertEquals("open", m8.at("/escalations/0/state").asText(), m8.toString());

    JsonNode m9 = r.mission(fix(9));
    assertState("succeeded", m9);
    assertEquals("raise_budget", m9.at("/escalations/0/resolution/action").asText());
    assertEquals("succeeded", m9.at("/attempts/1/state").asText(), m9.toString());
    assertAmount("150", m9.at("/attempts/1/usage/cost"), "m9's cost");
  }

  /** The values issue 11 found: accepted and journaled by 4ea896b, which then failed on them. */
  private static void assertPoisonedMissions(Recovered r) {
    JsonNode x1 = r.mission(poison(1));
    assertState("succeeded", x1);
    assertAmount("0.3", x1.at("/attempts/0/usage/cost"), "x1's cost 0.30000000000000004");
    assertAmount("0.123457", r.mission(poison(2)).at("/budget/estimate"), "x2's 0.1234567");
    assertAmount("0.000001", r.mission(poison(3)).at("/budget/estimate"), "x3's 1e-7");
    assertAmount("999999999999.999999", r.mission(poison(4)).at("/budget/estimate"), "x4's 1e300");
    JsonNode x5 = r.mission(poison(5));
    assertState("escalated", x5);
    assertAmount("999999999999.999999", x5.at("/attempts/0/usage/cost"), "x5's cost 1e300");
    assertAmount("999999999999.999999", r.mission(poison(6)).at("/budget/estimate"), "x6's 1e300");
  }

  private static void assertParticipants(Recovered r) {
    JsonNode p1 = r.participant(participant(1));
    assertEquals(FIX, p1.get("workspace").asText());
    assertEquals(List.of("worker"), texts(p1.get("roles")));
    assertEquals(List.of("code"), texts(p1.get("capabilities")));
    assertEquals(100, p1.get("max_concurrent_attempts").asInt());

    JsonNode p2 = r.participant(participant(2));
    assertEquals("reviewer", p2.get("kind").asText());
    assertEquals("draining", p2.get("status").asText());
    assertEquals(List.of("tool:a", "tool:b"), texts(p2.get("grants")));
    assertEquals(2, p2.get("max_concurrent_attempts").asInt());
    assertEquals(BUDGET, p2.at("/boundaries/budget_scope").asText(), p2.toString());
    assertEquals("z1", p2.at("/boundaries/trust_zone").asText());
    assertEquals("ops", p2.at("/escalation/escalate_to").asText());
    assertEquals(2, p2.at("/escalation/after_attempts").asInt());
    assertEquals("local", p2.at("/capability_manifest/execution_mode").asText());
    assertEquals(
        List.of("review", "shell:approval_required"),
        texts(p2.at("/capability_manifest/capabilities")));
    assertEquals(List.of("shell"), texts(p2.get("approval_required")));

    JsonNode p3 = r.participant(participant(3));
    assertEquals("stood_down", p3.get("status").asText());
    assertEquals("retired", p3.path("stand_down_reason").asText(), p3.toString());
    JsonNode standDown = r.inbox(participant(3)).at("/messages/0");
    assertEquals("stand_down", standDown.path("type").asText(), standDown.toString());
    assertEquals("retired", standDown.at("/payload/reason").asText());

    JsonNode p4 = r.participant(participant(4));
    assertEquals("offline", p4.get("status").asText());
    assertEquals(List.of("other"), texts(p4.get("capabilities")));

    assertEquals(List.of("reviewer"), texts(r.participant(participant(5)).get("roles")));
    assertEquals(POISON, r.participant(participant(6)).get("workspace").asText());
  }

  private static void assertBudget(Recovered r) {
    JsonNode budget = r.budget(BUDGET);
    assertAmount("300", budget.get("limit"), "the budget's limit");
    List<String> recorded =
        List.of(
            "1 limit_set - 100",
            "2 reserved " + fix(1) + " 5",
            "3 committed " + fix(1) + " 2",
            "4 limit_set - 300",
            "5 reserved " + fix(9) + " 200",
            "6 committed " + fix(9) + " 150",
            "7 reserved " + poison(1) + " 5",
            "8 reserved " + poison(5) + " 5");
    List<String> ledger =
        stream(budget.get("ledger"))
            .map(
                e ->
                    e.get("seq").asLong()
                        + " "
                        + e.get("kind").asText()
                        + " "
                        + e.path("mission_id").asText("-")
                        + " "
                        + e.get("amount").decimalValue().stripTrailingZeros().toPlainString())
            .toList();
    assertTrue(ledger.size() >= recorded.size(), "the ledger: " + ledger);
    assertEquals(recorded, ledger.subList(0, recorded.size()));
  }

  // The read side

  /** Both read models fold the old events: missions by workspace and participants by workspace. */
  private static void assertReadSideFolded(ApiClient api, Recovered r) {
    Set<String> fixMissions = new TreeSet<>();
    IntStream.rangeClosed(1, 9).forEach(n -> fixMissions.add(fix(n)));
    fixMissions.addAll(List.of(fix(6) + ".c1", fix(6) + ".c2"));
    Set<String> poisonMissions = new TreeSet<>();
    IntStream.rangeClosed(1, 6).forEach(n -> poisonMissions.add(poison(n)));
    Set<String> fixParticipants = new TreeSet<>();
    IntStream.rangeClosed(1, 5).forEach(n -> fixParticipants.add(participant(n)));
    Eventually.assertWithin(
        READ_SIDE,
        () -> {
          assertListed(r, fixMissions, api.get("/api/v1/missions?workspace=" + FIX));
          assertListed(r, poisonMissions, api.get("/api/v1/missions?workspace=" + POISON));
          Response participants = api.get("/api/v1/participants?workspace=" + FIX);
          assertEquals(200, participants.status(), participants.body().toString());
          assertEquals(fixParticipants, ids(participants.body().get("participants")));
        });
  }

  /** The list holds exactly {@code expected}, each final one in the state its entity answered. */
  private static void assertListed(Recovered r, Set<String> expected, Response list) {
    assertEquals(200, list.status(), list.body().toString());
    JsonNode missions = list.body().get("missions");
    assertEquals(expected, ids(missions));
    for (JsonNode summary : missions) {
      String state = r.mission(summary.get("id").asText()).get("state").asText();
      if (Phase.ofWire(state).isFinal()) {
        assertEquals(state, summary.get("state").asText(), summary.toString());
      }
    }
  }

  // Helpers

  private static String fix(int n) {
    return IdGenerator.forKey("m", "mission", FIX, "m" + n);
  }

  private static String poison(int n) {
    return IdGenerator.forKey("m", "mission", POISON, "x" + n);
  }

  private static String participant(int n) {
    return IdGenerator.forKey("p", "participant", n == 6 ? POISON : FIX, "p" + n);
  }

  private static void assertState(String expected, JsonNode mission) {
    assertEquals(expected, mission.get("state").asText(), mission.toString());
  }

  /** An amount compared as the exact decimal of its JSON text, never as a double. */
  private static void assertAmount(String expected, JsonNode actual, String what) {
    assertTrue(actual.isNumber(), what + ": not a number: " + actual);
    assertEquals(
        0,
        new BigDecimal(expected).compareTo(actual.decimalValue()),
        what + " reads back as " + actual.decimalValue().toPlainString() + ", not " + expected);
  }

  /** The first event of {@code type} in a mission's history. */
  private static JsonNode event(JsonNode history, String type) {
    return stream(history.get("events"))
        .filter(e -> e.get("type").asText().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + history))
        .get("event");
  }

  private static List<String> texts(JsonNode array) {
    return stream(array).map(JsonNode::asText).toList();
  }

  private static List<String> texts(JsonNode array, String field) {
    return stream(array).map(e -> e.get(field).asText()).toList();
  }

  private static Set<String> ids(JsonNode array) {
    return new TreeSet<>(texts(array, "id"));
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false);
  }
}
