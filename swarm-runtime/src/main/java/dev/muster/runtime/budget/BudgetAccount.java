package dev.muster.runtime.budget;

import dev.muster.config.CborSerializable;
import dev.muster.config.money.Amount;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The arithmetic of one budget, with no actor in sight: a limit, the open reservations, what has
 * been committed, and the keys already settled (so that a repeated command is answered the same).
 *
 * <p>The invariant {@code committed + reserved <= limit} holds after every operation:
 *
 * <ul>
 *   <li>a reservation is granted only when it fits in {@link #remaining()};
 *   <li>a lower limit is refused while it is below {@code committed + reserved};
 *   <li>a commit first returns its reservation, then charges {@code actual}; when {@code actual} is
 *       more than the reservation plus the free remainder, the charge is capped at what is free and
 *       the rest is recorded as {@link #overage()}: spent beyond the limit, reported, never counted
 *       in {@code committed}. Such a commit answers {@code exhausted}, and so does any commit that
 *       leaves nothing free.
 * </ul>
 *
 * Every method here is a query or a pure transition; the entity decides, persists the event and
 * applies it with the same methods on replay.
 */
public record BudgetAccount(
    Amount limit,
    Amount reserved,
    Amount committed,
    Amount overage,
    Map<String, Reservation> open,
    Map<String, Settlement> settled)
    implements CborSerializable {

  /** An open reservation: how much, for which mission. */
  public record Reservation(Amount amount, String missionId) implements CborSerializable {}

  /** How a key was settled, remembered to answer a repeated commit or release the same. */
  public record Settlement(
      Kind kind, String missionId, Amount reserved, Amount charged, Amount overage)
      implements CborSerializable {
    public enum Kind {
      COMMITTED,
      RELEASED
    }
  }

  public BudgetAccount {
    // Insertion order matters: the oldest settled keys are forgotten first.
    open = Collections.unmodifiableMap(new LinkedHashMap<>(open));
    settled = Collections.unmodifiableMap(new LinkedHashMap<>(settled));
  }

  public static BudgetAccount withLimit(Amount limit) {
    return new BudgetAccount(limit, Amount.ZERO, Amount.ZERO, Amount.ZERO, Map.of(), Map.of());
  }

  /** What can still be reserved: {@code limit - committed - reserved}. */
  public Amount remaining() {
    return limit.minus(committed).minus(reserved);
  }

  /** Why {@code newLimit} cannot be set, if it cannot: it is below what is already used. */
  public Optional<String> refuseLimit(Amount newLimit) {
    Amount used = committed.plus(reserved);
    if (used.exceeds(newLimit)) {
      return Optional.of(
          "the limit cannot be lowered to "
              + newLimit
              + ": "
              + committed
              + " is committed and "
              + reserved
              + " reserved");
    }
    return Optional.empty();
  }

  public BudgetAccount setLimit(Amount newLimit) {
    if (refuseLimit(newLimit).isPresent()) {
      throw new IllegalStateException(refuseLimit(newLimit).get());
    }
    return new BudgetAccount(newLimit, reserved, committed, overage, open, settled);
  }

  /** Whether {@code amount} can be reserved now. */
  public boolean fits(Amount amount) {
    return !amount.exceeds(remaining());
  }

  public BudgetAccount reserve(String key, Amount amount, String missionId) {
    if (open.containsKey(key) || settled.containsKey(key)) {
      throw new IllegalStateException("key " + key + " is already used");
    }
    if (!fits(amount)) {
      throw new IllegalStateException(amount + " does not fit in " + remaining());
    }
    Map<String, Reservation> nextOpen = new LinkedHashMap<>(open);
    nextOpen.put(key, new Reservation(amount, missionId));
    return new BudgetAccount(limit, reserved.plus(amount), committed, overage, nextOpen, settled);
  }

  /** What committing {@code actual} against the open reservation {@code key} charges. */
  public Settlement commitOutcome(String key, Amount actual) {
    Reservation reservation = openReservation(key);
    Amount free = remaining().plus(reservation.amount());
    Amount charged = actual.min(free);
    return new Settlement(
        Settlement.Kind.COMMITTED,
        reservation.missionId(),
        reservation.amount(),
        charged,
        actual.minus(charged));
  }

  /** Settles {@code key} as {@code outcome} (a commit or a release), forgetting old keys. */
  public BudgetAccount settle(String key, Settlement outcome, int rememberSettled) {
    Reservation reservation = open.get(key);
    Amount returned = reservation == null ? Amount.ZERO : reservation.amount();
    Map<String, Reservation> nextOpen = new LinkedHashMap<>(open);
    nextOpen.remove(key);
    Map<String, Settlement> nextSettled = new LinkedHashMap<>(settled);
    nextSettled.put(key, outcome);
    var oldest = nextSettled.keySet().iterator();
    while (nextSettled.size() > rememberSettled && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
    return new BudgetAccount(
        limit,
        reserved.minus(returned),
        committed.plus(outcome.charged()),
        overage.plusSaturated(outcome.overage()),
        nextOpen,
        nextSettled);
  }

  /** The outcome of releasing {@code key}: its reservation (if open) returns to the remainder. */
  public Settlement releaseOutcome(String key) {
    Reservation reservation = open.get(key);
    return new Settlement(
        Settlement.Kind.RELEASED,
        reservation == null ? "" : reservation.missionId(),
        reservation == null ? Amount.ZERO : reservation.amount(),
        Amount.ZERO,
        Amount.ZERO);
  }

  /** Whether the invariant holds; it always should. */
  public boolean consistent() {
    return !committed.plus(reserved).exceeds(limit)
        && reserved.equals(
            open.values().stream().map(Reservation::amount).reduce(Amount.ZERO, Amount::plus));
  }

  private Reservation openReservation(String key) {
    Reservation reservation = open.get(key);
    if (reservation == null) {
      throw new IllegalStateException("no open reservation under key " + key);
    }
    return reservation;
  }
}
