package dev.dwjava.train.logging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reader of TensorBoard event files written for the tests from the published formats alone, sharing no code with
 * {@link TensorBoardWriter}: TFRecord framing (tensorflow/core/lib/io/record_writer.cc: uint64 length, uint32 masked
 * CRC32C of the length, data, uint32 masked CRC32C of the data, little endian; mask = rotate right 15 + 0xa282ead8),
 * CRC32C computed bit by bit from its polynomial (reflected 0x82F63B78), and the protobuf wire format
 * (protobuf.dev/programming-guides/encoding) decoding tensorflow.Event {1 wall_time double, 2 step int64,
 * 3 file_version string, 5 summary, 6 session_log {1 status enum}} and Summary {1 repeated Value {1 tag string,
 * 2 simple_value float}}; other fields are skipped by their wire type.
 */
public final class EventFileReader {
    /** One Value of an event's summary. */
    public record Scalar(String tag, float value) {}

    /** One decoded Event. */
    /** @param sessionStatus session_log.status (1 START), 0 without a session_log */
    public record Event(double wallTime, long step, String fileVersion, List<Scalar> values, int sessionStatus) {}

    private EventFileReader() {}

    /** Reads every record; any bad CRC or truncated record is an IOException naming its offset. */
    public static List<Event> read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    public static List<Event> read(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            int at = b.position();
            if (b.remaining() < 12) {
                throw new IOException("truncated record header at offset " + at);
            }
            byte[] len = new byte[8];
            b.get(len);
            int lenCrc = b.getInt();
            if (lenCrc != mask(crc32c(len))) {
                throw new IOException("length CRC mismatch at offset " + at);
            }
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > b.remaining() - 4) {
                throw new IOException("truncated record at offset " + at);
            }
            byte[] data = new byte[(int) n];
            b.get(data);
            if (b.getInt() != mask(crc32c(data))) {
                throw new IOException("data CRC mismatch at offset " + at);
            }
            events.add(event(data));
        }
        return events;
    }

    /** CRC-32C (Castagnoli), reflected, init and final xor 0xFFFFFFFF. */
    static int crc32c(byte[] data) {
        int crc = 0xFFFFFFFF;
        for (byte x : data) {
            crc ^= x & 0xFF;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    static int mask(int crc) {
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }

    private static Event event(byte[] data) throws IOException {
        Wire w = new Wire(data);
        double wallTime = 0;
        long step = 0;
        String version = null;
        List<Scalar> values = new ArrayList<>();
        int status = 0;
        while (w.more()) {
            long key = w.varint();
            int field = (int) (key >>> 3), type = (int) (key & 7);
            if (field == 1 && type == 1) {
                wallTime = Double.longBitsToDouble(w.fixed64());
            } else if (field == 2 && type == 0) {
                step = w.varint();
            } else if (field == 3 && type == 2) {
                version = new String(w.bytes(), StandardCharsets.UTF_8);
            } else if (field == 5 && type == 2) {
                summary(new Wire(w.bytes()), values);
            } else if (field == 6 && type == 2) {
                Wire log = new Wire(w.bytes());
                while (log.more()) {
                    long k = log.varint();
                    if (k == (1 << 3)) {
                        status = (int) log.varint();
                    } else {
                        log.skip((int) (k & 7));
                    }
                }
            } else {
                w.skip(type);
            }
        }
        return new Event(wallTime, step, version, values, status);
    }

    private static void summary(Wire w, List<Scalar> out) throws IOException {
        while (w.more()) {
            long key = w.varint();
            if (key >>> 3 == 1 && (key & 7) == 2) {
                Wire v = new Wire(w.bytes());
                String tag = "";
                float value = Float.NaN;
                while (v.more()) {
                    long k = v.varint();
                    if (k >>> 3 == 1 && (k & 7) == 2) {
                        tag = new String(v.bytes(), StandardCharsets.UTF_8);
                    } else if (k >>> 3 == 2 && (k & 7) == 5) {
                        value = Float.intBitsToFloat(v.fixed32());
                    } else {
                        v.skip((int) (k & 7));
                    }
                }
                out.add(new Scalar(tag, value));
            } else {
                w.skip((int) (key & 7));
            }
        }
    }

    /** The protobuf wire format over one message's bytes. */
    private static final class Wire {
        private final byte[] b;
        private int pos;

        Wire(byte[] b) {
            this.b = b;
        }

        boolean more() {
            return pos < b.length;
        }

        long varint() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = next();
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException("varint longer than 10 bytes");
        }

        long fixed64() throws IOException {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v |= (long) next() << (8 * i);
            }
            return v;
        }

        int fixed32() throws IOException {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= next() << (8 * i);
            }
            return v;
        }

        byte[] bytes() throws IOException {
            long n = varint();
            if (n < 0 || n > b.length - pos) {
                throw new IOException("length-delimited field runs past its message");
            }
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + (int) n);
            pos += (int) n;
            return out;
        }

        void skip(int type) throws IOException {
            switch (type) {
                case 0 -> varint();
                case 1 -> fixed64();
                case 2 -> bytes();
                case 5 -> fixed32();
                default -> throw new IOException("unsupported wire type " + type);
            }
        }

        private int next() throws IOException {
            if (pos >= b.length) {
                throw new IOException("message ends inside a field");
            }
            return b[pos++] & 0xFF;
        }
    }
}
