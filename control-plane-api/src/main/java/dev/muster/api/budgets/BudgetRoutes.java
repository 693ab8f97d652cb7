package dev.muster.api.budgets;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.muster.api.budgets.BudgetApi.BudgetResponse;
import dev.muster.api.budgets.BudgetApi.SetLimitRequest;
import dev.muster.api.http.Callers;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.config.Caller;
import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Budgets: {@code PUT /api/v1/budgets/{scope} {"limit":100, "workspace":"ws-1"}} sets or raises the
 * limit (lowering it below what is committed and reserved answers 409) of a budget of that
 * workspace (a confined caller's own; 403 for another; 409 when the budget belongs to another one),
 * {@code GET /api/v1/budgets/{scope}} reads it with its recent ledger (404 when no limit was ever
 * set, or when the caller does not see it: a budget of another workspace, or, for a confined
 * caller, one of no workspace).
 */
public final class BudgetRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final HttpSettings settings;

  public BudgetRoutes(ActorSystem<?> system, HttpSettings settings) {
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
  }

  /** {@code budgets/{scope}}, under {@code /api/v1}. */
  public Route route(Caller caller) {
    return pathPrefix(
        "budgets",
        () ->
            path(
                segment(),
                scope ->
                    concat(
                        put(() -> setLimit(BudgetApi.scope(scope), caller)),
                        get(() -> getBudget(BudgetApi.scope(scope), caller)))));
  }

  private Route setLimit(String scope, Caller caller) {
    return JsonSupport.withBody(
        SetLimitRequest.class,
        request -> {
          Amount limit = request.amount();
          Optional<String> workspace = Callers.listScope(caller, request.owner());
          return respond(
              budget(scope)
                  .askWithStatus(
                      replyTo -> new Budget.SetLimit(limit, workspace, caller, replyTo),
                      settings.askTimeout()));
        });
  }

  private Route getBudget(String scope, Caller caller) {
    return respond(
        budget(scope)
            .askWithStatus(replyTo -> new Budget.Get(caller, replyTo), settings.askTimeout()));
  }

  private Route respond(CompletionStage<Budget.Summary> reply) {
    return onSuccess(
        reply, summary -> JsonSupport.completeJson(StatusCodes.OK, BudgetResponse.of(summary)));
  }

  private EntityRef<Budget.Command> budget(String scope) {
    return sharding.entityRefFor(Budget.ENTITY_TYPE_KEY, scope);
  }
}
