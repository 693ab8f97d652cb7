package dev.muster.api.http;

/** A stable machine-readable {@code code} (snake_case) and a message for people. */
public record ErrorDetail(String code, String message) {}
