package dev.muster.config.entity;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/** A command that is answered with a {@link StatusReply} of {@code R}. */
public interface Replying<R> {
  ActorRef<StatusReply<R>> replyTo();
}
