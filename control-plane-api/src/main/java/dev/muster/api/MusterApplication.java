package dev.muster.api;

import com.typesafe.config.Config;
import dev.muster.api.access.Access;
import dev.muster.api.audit.AuditLog;
import dev.muster.api.audit.AuditRoutes;
import dev.muster.api.audit.AuditSettings;
import dev.muster.api.backlog.BacklogRoutes;
import dev.muster.api.budgets.BudgetRoutes;
import dev.muster.api.http.HealthRoutes;
import dev.muster.api.http.HttpServer;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JournalProbe;
import dev.muster.api.identity.AuthSettings;
import dev.muster.api.identity.Identity;
import dev.muster.api.identity.IdentityRoutes;
import dev.muster.api.limits.RateLimits;
import dev.muster.api.missions.MissionRoutes;
import dev.muster.api.participants.InboxStreamSettings;
import dev.muster.api.participants.ParticipantRoutes;
import dev.muster.config.Caller;
import dev.muster.config.CommonPool;
import dev.muster.config.NodeSettings;
import dev.muster.config.SettingsException;
import dev.muster.config.ids.IdGenerator;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.coordinator.directory.MissionDirectory;
import dev.muster.coordinator.keeper.MissionKeeper;
import dev.muster.coordinator.mission.CoordinatorSettings;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.mission.MissionLinks;
import dev.muster.coordinator.mission.OfferAcceptance;
import dev.muster.coordinator.mission.ShardedMissions;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.inbox.ShardedInboxes;
import dev.muster.registry.index.CapabilityIndex;
import dev.muster.registry.participant.Participant;
import dev.muster.runtime.budget.Budget;
import dev.muster.runtime.budget.BudgetSettings;
import dev.muster.runtime.dispatch.DispatchSettings;
import dev.muster.runtime.dispatch.Dispatcher;
import dev.muster.runtime.node.MusterNode;
import dev.muster.runtime.node.RuntimeSettings;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.LoggerFactory;

/**
 * A running Muster node, started in the order of the architecture: settings, migrations, the
 * cluster node, every entity's sharding, the HTTP API. {@link Main} runs one; tests run several.
 */
public final class MusterApplication implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final ServerBinding binding;

  private MusterApplication(ActorSystem<Void> system, ServerBinding binding) {
    this.system = system;
    this.binding = binding;
  }

  public static MusterApplication start(Config config) {
    // 1. Settings: every module's, read and checked before anything starts; passed on from here.
    NodeSettings node = NodeSettings.from(config);
    RuntimeSettings runtime = RuntimeSettings.from(config);
    RegistrySettings registry = RegistrySettings.from(config);
    DispatchSettings dispatch = DispatchSettings.from(config);
    BudgetSettings budgets = BudgetSettings.from(config);
    CoordinatorSettings coordinator = CoordinatorSettings.from(config);
    MissionKeeper.KeeperSettings keeper = MissionKeeper.KeeperSettings.from(config);
    HttpSettings http = HttpSettings.from(config);
    InboxStreamSettings inboxStream = InboxStreamSettings.from(config, registry);
    AuthSettings auth = AuthSettings.from(config, node.dataDir());
    AuditSettings auditSettings = AuditSettings.from(config);
    RateLimits limits = RateLimits.from(config);
    if (coordinator.acceptTimeout().compareTo(http.askTimeout()) >= 0) {
      throw new SettingsException(
          "coordinator.accept-timeout",
          "must be shorter than http.ask-timeout (" + http.askTimeout() + ")");
    }
    Clock clock = Clock.systemUTC();
    IdGenerator ids = IdGenerator.random();
    if (!CommonPool.callbacksPooled()) {
      LoggerFactory.getLogger(MusterApplication.class)
          .warn(
              "ForkJoinPool.commonPool has parallelism {}: every completion callback will start a"
                  + " thread; start Muster through dev.muster.api.Main or set"
                  + " -Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
              java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());
    }

    // 2. The journal's schema, before the journal is used.
    JournalMigrations.migrate(node.database());

    // 3. The cluster node (self-join without seed nodes) with the Split Brain Resolver.
    ActorSystem<Void> system = MusterNode.start(node, runtime, config);
    try {
      ClusterSharding sharding = ClusterSharding.get(system);

      // 4. The read side: participants by capability, missions by state; every node folds both.
      CapabilityIndex index = CapabilityIndex.start(system, registry, clock);
      MissionDirectory directory = MissionDirectory.start(system);

      // 5. Every entity, in the order of the layers: registry, runtime, coordinator.
      Participant.init(system, registry, new ShardedInboxes(system, http.askTimeout()), clock);
      Inbox.init(
          system, registry, new OfferAcceptance(sharding, coordinator.acceptTimeout()), clock);
      Budget.init(system, budgets, clock);
      Dispatcher.init(
          system,
          dispatch,
          index,
          new ShardedMissions(sharding, dispatch.answerTimeout()),
          directory,
          clock);
      Mission.init(
          system,
          MissionLinks.sharded(system, dispatch.offerTimeout(), coordinator.peerTimeout()),
          coordinator,
          clock);
      MissionKeeper.init(system, directory, keeper);

      // 6. Identity: keys, the token registry, this node's revocation view; the audit log.
      Identity identity = Identity.start(system, auth, http.askTimeout(), clock);
      AuditLog audit = AuditLog.start(system, auditSettings);
      Access access =
          new Access(identity.tokens(), identity.view(), limits, audit, http.askTimeout(), clock);

      // 7. The HTTP API: health, then /api/v1, where every request's caller is its token's.
      JournalProbe journal = JournalProbe.start(system, node.database(), http);
      ParticipantRoutes participants =
          new ParticipantRoutes(system, http, registry, inboxStream, index, ids, identity);
      MissionRoutes missions = new MissionRoutes(system, http, coordinator, directory, index, ids);
      BudgetRoutes budgetRoutes = new BudgetRoutes(system, http);
      BacklogRoutes backlog = new BacklogRoutes(system, http);
      IdentityRoutes identityRoutes = new IdentityRoutes(system, identity, http);
      AuditRoutes auditRoutes = new AuditRoutes(system, http, auditSettings);
      Route api =
          Directives.pathPrefix(
              "api",
              () ->
                  Directives.pathPrefix(
                      "v1",
                      () ->
                          access.authorize(
                              principal -> {
                                Caller caller =
                                    principal
                                        .caller()
                                        .fromDevice(identity.view().deviceName(principal));
                                return Directives.concat(
                                    missions.route(caller),
                                    participants.route(caller),
                                    backlog.route(caller),
                                    budgetRoutes.route(caller),
                                    identityRoutes.route(principal),
                                    auditRoutes.route(caller));
                              })));
      Route routes = Directives.concat(HealthRoutes.forNode(system, journal, http).route(), api);
      ServerBinding binding =
          HttpServer.start(system, routes, http)
              .toCompletableFuture()
              .get(http.askTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
      return new MusterApplication(system, binding);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("Muster could not start: " + e.getMessage(), e);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Where the HTTP API listens (the bound port when port 0 was asked for). */
  public InetSocketAddress httpAddress() {
    return binding.localAddress();
  }

  /**
   * Stops the node the way SIGTERM does: CoordinatedShutdown, shards handed off; waits as long as
   * its phases may take together ({@code pekko.coordinated-shutdown.phases}).
   */
  @Override
  public void close() {
    long atMost = CoordinatedShutdown.get(system).totalTimeout().toMillis();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(atMost, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Muster did not stop within " + atMost + " ms", e);
    }
  }
}
