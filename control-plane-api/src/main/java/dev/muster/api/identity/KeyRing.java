package dev.muster.api.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys that sign and verify Muster's tokens: a JWK set in one file ({@code
 * muster.auth.keys-file}), shared by every node of a cluster. Keys are ES256 (P-256); each has a
 * {@code kid} and an issue time ({@code iat}), in the order they were added. The newest active key
 * (the last) signs; every active key verifies. {@link #rotate} adds a new key (which signs from
 * then on; the older ones keep verifying: the overlap), {@link #retire} ends a key: its private
 * part is removed and it is kept with an expiration time ({@code exp}), so a token it signed is
 * refused, saying why.
 *
 * <p>A change is written to a new file that replaces the old one atomically, under a file lock, so
 * two nodes rotating at once do not lose a key. Every node re-reads the file when it changed
 * ({@link #reloadIfChanged}). The file holds private keys: it is created with mode 0600.
 */
public final class KeyRing {
  private static final Logger log = LoggerFactory.getLogger(KeyRing.class);

  /** The one algorithm of Muster's own tokens. */
  public static final JWSAlgorithm ALGORITHM = JWSAlgorithm.ES256;

  /** A key as an operator sees it: never its private part. */
  public record KeyInfo(String kid, Instant created, Optional<Instant> retired, boolean signing) {}

  private record Loaded(JWKSet set, FileTime modified, long size) {}

  private final Path file;
  private final Clock clock;
  private volatile Loaded loaded;

  private KeyRing(Path file, Clock clock, Loaded loaded) {
    this.file = file;
    this.clock = clock;
    this.loaded = loaded;
  }

  /**
   * The key ring of {@code file}; when there is no such file yet, a new one with one key, which the
   * answer says ({@code created}). Two nodes starting at once on a shared file agree on one: the
   * file appears atomically, and the node that loses the race reads the winner's.
   */
  public static Opened open(Path file, Clock clock) {
    boolean created = false;
    if (!Files.exists(file)) {
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path temp = writeTemp(file, new JWKSet(newKey(clock)));
        try {
          Files.createLink(file, temp);
          created = true;
          log.info(
              "Generated the token signing keys at {} (mode 0600): every node of a cluster must"
                  + " use this file (muster.auth.keys-file)",
              file.toAbsolutePath());
        } catch (FileAlreadyExistsException raced) {
          // another node wrote it first: use theirs
        } finally {
          Files.deleteIfExists(temp);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot create the keys file " + file, e);
      }
    }
    KeyRing ring = new KeyRing(file, clock, read(file));
    if (ring.signingKey().isEmpty()) {
      throw new IllegalStateException(
          "The keys file " + file + " has no active ES256 key to sign with");
    }
    return new Opened(ring, created);
  }

  /** A key ring, and whether its file was created just now (this is the first start). */
  public record Opened(KeyRing ring, boolean created) {}

  /** The key that signs new tokens: the newest active one. */
  public Optional<ECKey> signingKey() {
    return signingKeyOf(loaded.set());
  }

  /** The active key {@code kid}, to verify with; empty when unknown or retired. */
  public Optional<ECKey> verifier(String kid) {
    return active(loaded.set()).stream().filter(k -> kid.equals(k.getKeyID())).findFirst();
  }

  /** When key {@code kid} was retired, if it is a retired key of this ring. */
  public Optional<Instant> retiredAt(String kid) {
    JWK key = loaded.set().getKeyByKeyId(kid);
    return key == null || key.getExpirationTime() == null
        ? Optional.empty()
        : Optional.of(key.getExpirationTime().toInstant());
  }

  public List<KeyInfo> keys() {
    Optional<String> signing = signingKey().map(JWK::getKeyID);
    return loaded.set().getKeys().stream()
        .map(
            k ->
                new KeyInfo(
                    k.getKeyID(),
                    created(k),
                    Optional.ofNullable(k.getExpirationTime()).map(Date::toInstant),
                    signing.filter(k.getKeyID()::equals).isPresent()))
        .toList();
  }

  /** Adds a new key, which signs from now on; the others keep verifying. */
  public synchronized KeyInfo rotate() {
    ECKey fresh = newKey(clock);
    change(
        set -> {
          List<JWK> keys = new ArrayList<>(set.getKeys());
          keys.add(fresh);
          return new JWKSet(keys);
        });
    return keys().stream().filter(k -> k.kid().equals(fresh.getKeyID())).findFirst().orElseThrow();
  }

  /**
   * Retires key {@code kid}: tokens it signed are refused from now on. The signing key cannot be
   * retired (rotate first); retiring a retired key changes nothing.
   */
  public synchronized KeyInfo retire(String kid) {
    change(
        set -> {
          JWK key = set.getKeyByKeyId(kid);
          if (key == null) {
            throw new UnknownKey(kid);
          }
          if (key.getExpirationTime() != null) {
            return set;
          }
          if (signingKeyOf(set).map(k -> k.getKeyID().equals(kid)).orElse(false)) {
            throw new SigningKey(kid);
          }
          ECKey retired =
              new ECKey.Builder(key.toECKey().toPublicJWK())
                  .expirationTime(Date.from(clock.instant()))
                  .build();
          List<JWK> keys = new ArrayList<>(set.getKeys());
          keys.replaceAll(k -> k.getKeyID().equals(kid) ? retired : k);
          return new JWKSet(keys);
        });
    return keys().stream().filter(k -> k.kid().equals(kid)).findFirst().orElseThrow();
  }

  /** No key {@code kid} in the ring. */
  public static final class UnknownKey extends RuntimeException {
    UnknownKey(String kid) {
      super("no key " + kid, null, false, false);
    }
  }

  /** The key that signs cannot be retired before another signs. */
  public static final class SigningKey extends RuntimeException {
    SigningKey(String kid) {
      super("key " + kid + " signs new tokens: rotate first, then retire it", null, false, false);
    }
  }

  /**
   * Reads the file again when it changed since it was read (another node rotated or retired a key);
   * answers whether it did.
   */
  public boolean reloadIfChanged() {
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      Loaded current = loaded;
      if (modified.equals(current.modified()) && size == current.size()) {
        return false;
      }
      loaded = read(file);
      log.info("Reloaded the token keys from {}: {}", file, keys());
      return true;
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      log.warn("Cannot reload the token keys from {}: {}", file, e.getMessage());
      return false;
    }
  }

  // The file

  private interface Change {
    JWKSet apply(JWKSet set);
  }

  private void change(Change change) {
    Path lock = file.resolveSibling(file.getFileName() + ".lock");
    try (FileChannel channel =
            FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      JWKSet current = read(file).set();
      JWKSet next = change.apply(current);
      if (next != current) {
        Path temp = writeTemp(file, next);
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      loaded = read(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot change the keys file " + file, e);
    }
  }

  private static Path writeTemp(Path file, JWKSet set) throws IOException {
    Path temp =
        Files.createFile(
            file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".tmp"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        temp, set.toString(false), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    return temp;
  }

  private static Loaded read(Path file) {
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      JWKSet set = JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8));
      for (JWK key : set.getKeys()) {
        if (!(key instanceof ECKey ec) || ec.getCurve() != Curve.P_256 || key.getKeyID() == null) {
          throw new IllegalStateException(
              "The keys file " + file + " holds a key that is not a P-256 key with a kid");
        }
      }
      return new Loaded(set, modified, size);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the keys file " + file, e);
    } catch (ParseException e) {
      throw new IllegalStateException(
          "The keys file " + file + " is not a JWK set: " + e.getMessage(), e);
    }
  }

  private static List<ECKey> active(JWKSet set) {
    return set.getKeys().stream()
        .filter(k -> k.getExpirationTime() == null && k.isPrivate())
        .map(JWK::toECKey)
        .toList();
  }

  /**
   * The newest active key: the last in the file, where a rotation appends it (a key's {@code iat}
   * has whole seconds only, so two rotations in one second could not be told apart by it).
   */
  private static Optional<ECKey> signingKeyOf(JWKSet set) {
    List<ECKey> active = active(set);
    return active.isEmpty() ? Optional.empty() : Optional.of(active.get(active.size() - 1));
  }

  private static Instant created(JWK key) {
    return key.getIssueTime() == null ? Instant.EPOCH : key.getIssueTime().toInstant();
  }

  private static ECKey newKey(Clock clock) {
    try {
      return new ECKeyGenerator(Curve.P_256)
          .keyID("k-" + UUID.randomUUID())
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(ALGORITHM)
          .issueTime(Date.from(clock.instant()))
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("Cannot generate a P-256 key", e);
    }
  }
}
