package dev.muster.config.entity;

import dev.muster.config.Rejection;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.slf4j.Logger;

/**
 * Keeps an entity serving whatever a command or a side effect throws. Only a failed journal write
 * stops an entity (and it restarts with backoff); a command whose handler throws is answered with
 * {@code internal_error} (when it expects an answer), persists nothing, and the entity goes on with
 * the state it had; a side effect that throws after a write is logged, and the written state
 * stands.
 */
public final class Guarded {
  private Guarded() {}

  /** {@code handlers}, with a throwing command answered {@code internal_error} and logged. */
  public static <C, E, S> CommandHandlerWithReply<C, E, S> commands(
      CommandHandlerWithReply<C, E, S> handlers,
      EffectFactories<E, S> effects,
      Logger log,
      String entity) {
    return (state, command) -> {
      try {
        return handlers.apply(state, command);
      } catch (RuntimeException e) {
        log.error("{} failed to handle {}", entity, command.getClass().getSimpleName(), e);
        return answerFailure(effects, command, entity);
      }
    };
  }

  /** Runs {@code effect}; a failure is logged and goes no further. */
  public static void sideEffect(Logger log, String entity, String what, Runnable effect) {
    try {
      effect.run();
    } catch (RuntimeException e) {
      log.error("{} failed to {}", entity, what, e);
    }
  }

  /**
   * Runs {@code effect}, which answers {@code replyTo} itself; when it fails, the failure is logged
   * and {@code replyTo} is answered that the fact is recorded but the rest was not done, so that
   * the caller asks again (every command of these entities is idempotent).
   */
  public static <R> void sideEffect(
      Logger log, String entity, String what, Runnable effect, ActorRef<StatusReply<R>> replyTo) {
    try {
      effect.run();
    } catch (RuntimeException e) {
      log.error("{} failed to {}", entity, what, e);
      replyTo.tell(
          Rejection.of(
                  Rejection.Code.UNAVAILABLE,
                  entity + " recorded the request but could not " + what + "; ask again")
              .reply());
    }
  }

  private static <E, S> ReplyEffect<E, S> answerFailure(
      EffectFactories<E, S> effects, Object command, String entity) {
    if (command instanceof Replying<?> replying) {
      return refuse(
          effects,
          replying,
          Rejection.of(
              Rejection.Code.INTERNAL_ERROR,
              entity + " could not handle the request; it has been logged and nothing changed"));
    }
    return effects.noReply();
  }

  /** Answers {@code command} with {@code rejection}. */
  public static <E, S, R> ReplyEffect<E, S> refuse(
      EffectFactories<E, S> effects, Replying<R> command, Rejection rejection) {
    return effects.reply(command.replyTo(), rejection.reply());
  }
}
