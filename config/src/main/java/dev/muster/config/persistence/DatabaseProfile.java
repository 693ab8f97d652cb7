package dev.muster.config.persistence;

/** The two databases Muster runs on: embedded H2 (the default) and PostgreSQL (production). */
public enum DatabaseProfile {
  H2("org.h2.Driver", "slick.jdbc.H2Profile$", "classpath:db/migration/h2"),
  POSTGRES(
      "org.postgresql.Driver", "slick.jdbc.PostgresProfile$", "classpath:db/migration/postgres");

  private final String driver;
  private final String slickProfile;
  private final String migrations;

  DatabaseProfile(String driver, String slickProfile, String migrations) {
    this.driver = driver;
    this.slickProfile = slickProfile;
    this.migrations = migrations;
  }

  public String driver() {
    return driver;
  }

  public String slickProfile() {
    return slickProfile;
  }

  /** Flyway location of this database's migrations (the plugin's DDL, dialect by dialect). */
  public String migrations() {
    return migrations;
  }

  /** The profile a JDBC URL names, or empty for a database Muster does not support. */
  public static java.util.Optional<DatabaseProfile> ofUrl(String url) {
    if (url.startsWith("jdbc:h2:")) {
      return java.util.Optional.of(H2);
    }
    if (url.startsWith("jdbc:postgresql:")) {
      return java.util.Optional.of(POSTGRES);
    }
    return java.util.Optional.empty();
  }
}
