package dev.muster.api.fuzz;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.muster.api.TestAuth;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * HTTP/1.1 written byte for byte on a plain socket, one connection per request ({@code Connection:
 * close}): what java.net.http refuses to send (a control character in a header, a body on any
 * method, a broken chunked body, a request cut off midway) reaches the node as written. An answer
 * that does not come within {@link #READ_TIMEOUT_MS} fails the test: the node must answer, not
 * hang.
 */
final class RawHttp {
  static final int READ_TIMEOUT_MS = 30_000;

  private final InetSocketAddress node;

  RawHttp(InetSocketAddress node) {
    this.node = node;
  }

  /** One request header, written as {@code name: value} (UTF-8, unchecked). */
  record Header(String name, String value) {}

  /** The node's answer: status, headers (names in lower case) and the body as UTF-8 text. */
  record Reply(int status, Map<String, String> headers, String body) {
    String contentType() {
      return headers.getOrDefault("content-type", "");
    }
  }

  /**
   * A request whose head is built here: Host, Connection: close, Content-Length for a body, and an
   * operator's token unless {@code headers} name an Authorization of their own.
   */
  Reply send(String method, String target, List<Header> headers, byte[] body) {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(node.getPort()).append("\r\n");
    head.append("Connection: close\r\n");
    if (headers.stream().noneMatch(h -> h.name().equalsIgnoreCase("Authorization"))) {
      head.append("Authorization: ").append(TestAuth.bearer(TestAuth.operator())).append("\r\n");
    }
    for (Header header : headers) {
      head.append(header.name()).append(": ").append(header.value()).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    byte[] start = head.toString().getBytes(UTF_8);
    byte[] request = start;
    if (body != null) {
      request = new byte[start.length + body.length];
      System.arraycopy(start, 0, request, 0, start.length);
      System.arraycopy(body, 0, request, start.length, body.length);
    }
    return exchange(request, false)
        .orElseThrow(() -> new AssertionError("the node closed the connection without an answer"));
  }

  /**
   * Writes {@code request} as it is and reads the answer; {@code endSending} then closes the
   * sending half (a client that stops midway). Empty when the node closed without answering. A node
   * that stops reading (it answered early, say 413) may break the write; its answer is still read.
   */
  Optional<Reply> exchange(byte[] request, boolean endSending) {
    try (Socket socket = new Socket(node.getAddress(), node.getPort())) {
      socket.setSoTimeout(READ_TIMEOUT_MS);
      try {
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        if (endSending) {
          socket.shutdownOutput();
        }
      } catch (IOException stoppedReading) {
        // the node answered before reading everything: read what it said
      }
      return read(socket.getInputStream());
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within " + READ_TIMEOUT_MS + " ms", e);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains("reset")) {
        return Optional.empty();
      }
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Reply> read(InputStream in) throws IOException {
    Optional<String> head = readHead(in);
    if (head.isEmpty()) {
      return Optional.empty();
    }
    String[] lines = head.get().split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status = Integer.parseInt(statusLine[1]);
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.merge(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim(),
          (a, b) -> a + ", " + b);
    }
    byte[] body;
    if (headers.getOrDefault("content-type", "").startsWith("text/event-stream")) {
      body = new byte[0]; // a stream that does not end: its head is the answer
    } else if (headers.containsKey("content-length")) {
      body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    } else if (headers.getOrDefault("transfer-encoding", "").contains("chunked")) {
      body = dechunk(in);
    } else {
      body = in.readAllBytes();
    }
    return Optional.of(new Reply(status, headers, new String(body, UTF_8)));
  }

  /** The status line and headers, up to the empty line; empty when nothing at all came. */
  private static Optional<String> readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return Optional.empty();
        }
        throw new EOFException("the answer ended inside its head: " + head.toString(ISO_8859_1));
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String text = head.toString(ISO_8859_1);
    return Optional.of(text.substring(0, text.length() - end.length));
  }

  private static byte[] dechunk(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      int size = Integer.parseInt(sizeLine.split(";", 2)[0].trim(), 16);
      if (size == 0) {
        while (!readLine(in).isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(size));
      readLine(in);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new EOFException("the chunked answer ended early");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(ISO_8859_1);
  }
}
