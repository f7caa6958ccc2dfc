package dev.dwjava.serve;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP server of {@code dw serve}, on Jetty 12's core API (no servlets): a well-kept server with HTTP/1.1
 * parsing, a bounded thread pool and a multipart parser, which the JDK's {@code com.sun.net.httpserver} would have us
 * write ourselves (multipart, above all). Endpoints:
 * <ul>
 *   <li>{@code POST /v1/detect}: image bytes, or a multipart form with a part {@code image} (and optionally
 *       {@code score_thr}); {@code ?score_thr=} also works. Answers {@code {"width", "height", "detections": [{"class_id",
 *       "class_name", "score", "box": [x1, y1, x2, y2]}]}}, boxes in the original image's pixels. 400 for a body that is
 *       no image (with the reason), 413 for one over the size limits, 503 at once when the queue is full, 500 when the
 *       model fails on the request's batch.</li>
 *   <li>{@code GET /healthz}: 200 {@code {"status": "ok", ...}} while the model worker runs.</li>
 *   <li>{@code GET /metrics}: Prometheus text ({@link ServeMetrics}).</li>
 *   <li>{@code GET /}: a page to drop an image on and see the boxes.</li>
 * </ul>
 */
public final class ModelServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    static final int MAX_CONNECTIONS = 1024;

    private final BatchDetector detector;
    private final ServeOptions options;
    private final DynamicBatcher batcher;
    private final Server server;
    private final ServerConnector connector;
    private final byte[] page;

    private ModelServer(BatchDetector detector, ServeOptions options) throws IOException {
        this.detector = detector;
        this.options = options;
        this.batcher = new DynamicBatcher(detector, options.maxBatch(), options.maxWaitMs(), options.queueCapacity());
        try (InputStream in = ModelServer.class.getResourceAsStream("index.html")) {
            if (in == null) {
                throw new IllegalStateException("index.html missing from dw-serve's resources");
            }
            this.page = in.readAllBytes();
        }
        QueuedThreadPool pool = new QueuedThreadPool(options.threads() + 2, 2);   // + acceptor and selector
        pool.setName("dw-serve-http");
        pool.setDaemon(true);
        pool.setReservedThreads(0);   // every thread may handle requests; the model has its own
        this.server = new Server(pool);
        this.connector = new ServerConnector(server, 1, 1);
        connector.setHost(options.host());
        connector.setPort(options.port());
        server.addConnector(connector);
        // Idle or slow connections cost memory too: beyond this many Jetty stops accepting (the kernel's backlog waits).
        server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
        server.setHandler(new Routes());
        server.setStopTimeout(2000);
    }

    /** Starts a server over {@code detector}; {@link #port()} tells the port when {@code options.port()} is 0. */
    public static ModelServer start(BatchDetector detector, ServeOptions options) throws IOException {
        ModelServer s = new ModelServer(detector, options);
        try {
            s.server.start();
        } catch (Exception e) {
            s.close();
            if (e instanceof IOException io) {
                throw new IOException("cannot listen on " + options.host() + ":" + options.port() + ": " + io.getMessage()
                        + " (is the port in use? choose another with --port)", io);
            }
            throw new IllegalStateException("the HTTP server did not start: " + e, e);
        }
        return s;
    }

    /**
     * {@code dw serve}: starts, says where it listens, and serves until the process is stopped (Ctrl-C or SIGTERM
     * stop it cleanly).
     */
    public static void serve(BatchDetector detector, ServeOptions options, java.io.PrintWriter out) throws IOException,
            InterruptedException {
        ModelServer s = start(detector, options);
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "dw-serve-stop"));
        out.printf("dw serve: listening on %s (POST /v1/detect, GET /healthz, GET /metrics, a page at /); max batch %d, "
                + "max wait %d ms, queue %d, body limit %d bytes%n", s.uri(), options.maxBatch(), options.maxWaitMs(),
                options.queueCapacity(), options.maxBodyBytes());
        out.flush();
        s.join();
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port/}. */
    public URI uri() {
        return URI.create("http://" + options.host() + ":" + port() + "/");
    }

    public ServeOptions options() {
        return options;
    }

    public DynamicBatcher batcher() {
        return batcher;
    }

    public ServeMetrics metrics() {
        return batcher.metrics();
    }

    /** Blocks until the server stops (for {@code dw serve}: until the process is ended). */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(ModelServer.class).warn("stopping the HTTP server: {}", e.toString());
        }
        batcher.close();
    }

    /** The JSON answer for an image of {@code width}×{@code height} and its detections. */
    public static Map<String, Object> answer(int width, int height, List<Detection> dets) {
        List<Map<String, Object>> list = new java.util.ArrayList<>(dets.size());
        for (Detection d : dets) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class_id", d.classId());
            m.put("class_name", d.className());
            m.put("score", d.score());
            m.put("box", new float[] {d.x1(), d.y1(), d.x2(), d.y2()});
            list.add(m);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("width", width);
        r.put("height", height);
        r.put("detections", list);
        return r;
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long t0 = System.nanoTime();
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            // The metric's path label stays one of a few values, whatever paths clients try.
            String label = switch (path) {
                case "/", "/index.html" -> "/";
                case "/v1/detect", "/healthz", "/metrics" -> path;
                default -> "other";
            };
            Reply reply = new Reply(response, callback, label, t0);
            try {
                switch (label) {
                    case "/" -> {
                        allow(method, "GET");
                        reply.send(200, "text/html; charset=utf-8", page);
                    }
                    case "/healthz" -> {
                        allow(method, "GET");
                        Map<String, Object> h = new LinkedHashMap<>();
                        h.put("status", batcher.alive() ? "ok" : "stopped");
                        h.put("classes", detector.classNames());
                        h.put("queue_depth", batcher.depth());
                        h.put("max_batch", options.maxBatch());
                        reply.json(batcher.alive() ? 200 : 503, h);
                    }
                    case "/metrics" -> {
                        allow(method, "GET");
                        reply.send(200, ServeMetrics.CONTENT_TYPE, metrics().text());
                    }
                    case "/v1/detect" -> {
                        allow(method, "POST");
                        detect(request, reply);
                    }
                    default -> throw new RequestImage.HttpError(404, "no such page: " + path
                            + " (POST /v1/detect, GET /healthz, GET /metrics, GET /)");
                }
            } catch (RequestImage.HttpError e) {
                reply.error(e.code, e.getMessage());
            } catch (Exception e) {
                reply.error(500, "internal error: " + e);
            }
            return true;
        }

        private void allow(String method, String allowed) throws RequestImage.HttpError {
            if (!allowed.equals(method)) {
                throw new RequestImage.HttpError(405, method + " is not allowed here; use " + allowed);
            }
        }

        private void detect(Request request, Reply reply) throws Exception {
            long length = request.getLength();
            InputStream in = Request.asInputStream(request);
            if (length > options.maxBodyBytes()) {
                throw refuseBody(in, reply, length - options.maxBodyBytes() <= RequestImage.SWALLOW_BYTES);
            }
            if (batcher.full()) {   // before reading the body: overload is answered at once
                throw busy();
            }
            byte[] body;
            try {
                body = RequestImage.readBounded(in, options.maxBodyBytes());
            } catch (RequestImage.HttpError e) {
                throw refuseBody(in, reply, true);
            }
            RequestImage.Upload up = RequestImage.upload(body, request.getHeaders().get(HttpHeader.CONTENT_TYPE),
                    options.maxBodyBytes());
            String q = Request.extractQueryParameters(request).getValue("score_thr");
            float thr = RequestImage.scoreThr(up.scoreThr() != null ? up.scoreThr() : q);
            RgbImage image = RequestImage.decode(up.bytes(), detector.ignoreOrientation(), options.maxPixels());
            CompletableFuture<List<Detection>> result;
            try {
                result = batcher.submit(image, thr);
            } catch (DynamicBatcher.QueueFullException e) {
                throw busy();
            }
            Executor http = request.getComponents().getExecutor();   // answer on an HTTP thread, not the model's
            result.whenCompleteAsync((dets, failure) -> {
                if (failure == null) {
                    reply.json(200, answer(image.width(), image.height(), dets));
                } else {
                    Throwable c = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                    reply.error(c instanceof DynamicBatcher.ModelFailureException ? 500 : 503, c.getMessage());
                }
            }, http);
        }

        /**
         * The 413 of a body over the limit. The connection closes after it (the rest of the body is not wanted), but
         * first up to {@link RequestImage#SWALLOW_BYTES} of what the client still sends are read so that it sees the
         * answer rather than a reset; a body far over that is cut off at once.
         */
        private RequestImage.HttpError refuseBody(InputStream in, Reply reply, boolean swallow) {
            if (swallow) {
                RequestImage.swallow(in, RequestImage.SWALLOW_BYTES);
            }
            reply.closeConnection();
            return RequestImage.tooLarge(options.maxBodyBytes());
        }

        private RequestImage.HttpError busy() {
            return new RequestImage.HttpError(503, "the server is busy: " + options.queueCapacity()
                    + " images already wait for the model (--queue-capacity); retry later");
        }
    }

    /** One response: writes it once and counts it in the metrics. */
    private final class Reply {
        private final Response response;
        private final Callback callback;
        private final String label;
        private final long t0;

        Reply(Response response, Callback callback, String label, long t0) {
            this.response = response;
            this.callback = callback;
            this.label = label;
            this.t0 = t0;
        }

        /** Asks Jetty to close the connection once this answer is written. */
        void closeConnection() {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }

        void json(int code, Object value) {
            try {
                send(code, JSON_TYPE, JSON.writeValueAsBytes(value));
            } catch (JsonProcessingException e) {
                send(500, "text/plain; charset=utf-8", ("cannot write the answer: " + e).getBytes(StandardCharsets.UTF_8));
            }
        }

        void error(int code, String reason) {
            if (code == 503) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            }
            json(code, Map.of("error", reason == null ? "unknown" : reason));
        }

        void send(int code, String type, byte[] body) {
            response.setStatus(code);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            metrics().request(label, code, System.nanoTime() - t0);
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }
}
