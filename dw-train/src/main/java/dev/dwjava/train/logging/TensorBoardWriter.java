package dev.dwjava.train.logging;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

/**
 * A TensorBoard event file of scalars, as {@code tensorboard --logdir} reads it. The file is a sequence of TFRecords
 * (uint64 length, masked CRC32C of the length, the bytes, masked CRC32C of the bytes; little endian) holding
 * {@code tensorflow.Event} protobuf messages: first {@code file_version = "brain.Event:2"}, then one event per scalar
 * with {@code summary.value {tag, simple_value}}, as PyTorch's {@code SummaryWriter.add_scalar} writes them, and a
 * {@code session_log {status: START}} where training (re)starts. The
 * messages are encoded with protobuf's {@link CodedOutputStream}; the four fields used need no generated classes.
 */
public final class TensorBoardWriter implements AutoCloseable {
    /** Field numbers of tensorflow/core/util/event.proto and framework/summary.proto. */
    private static final int EVENT_WALL_TIME = 1, EVENT_STEP = 2, EVENT_FILE_VERSION = 3, EVENT_SUMMARY = 5, EVENT_SESSION_LOG = 6;
    private static final int SESSION_LOG_STATUS = 1, SESSION_LOG_START = 1;
    private static final int SUMMARY_VALUE = 1, VALUE_TAG = 1, VALUE_SIMPLE_VALUE = 2;
    private static final int MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final OutputStream out;

    private TensorBoardWriter(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Starts a new event file in {@code logDir} (created if absent), named as PyTorch's writer names it:
     * {@code events.out.tfevents.<unix seconds>.<host>.<pid>.<n>}. A resumed run gets a file of its own; TensorBoard
     * reads all files of the folder in name order and drops the points a step counter going back makes stale.
     */
    public static TensorBoardWriter create(Path logDir) throws IOException {
        Files.createDirectories(logDir);
        double now = System.currentTimeMillis() / 1000.0;
        String stem = String.format("events.out.tfevents.%010d.%s.%d.", (long) now, host(), ProcessHandle.current().pid());
        for (int n = 0; ; n++) {
            Path file = logDir.resolve(stem + n);
            try {
                OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                TensorBoardWriter w = new TensorBoardWriter(file, new BufferedOutputStream(os, 1 << 16));
                w.writeRecord(fileVersionEvent(now));
                w.flush();
                return w;
            } catch (FileAlreadyExistsException e) {
                // another writer of this process in the same second: take the next counter
            }
        }
    }

    public Path file() {
        return file;
    }

    /** Appends the scalar {@code tag} = {@code value} at {@code step}, stamped with the current time. */
    public void scalar(String tag, long step, double value) throws IOException {
        scalar(tag, step, value, System.currentTimeMillis() / 1000.0);
    }

    /** Appends the scalar {@code tag} = {@code value} (stored as float32) at {@code step} and {@code wallTime} seconds. */
    public void scalar(String tag, long step, double value, double wallTime) throws IOException {
        if (tag == null || tag.isEmpty()) {
            throw new IllegalArgumentException("a TensorBoard scalar needs a tag");
        }
        writeRecord(scalarEvent(tag, step, (float) value, wallTime));
    }

    /**
     * Marks a (re)start of training at {@code step}: TensorBoard then drops the points of this run's folder at
     * {@code step} and later, which a run that went on past the checkpoint it is resumed from had written.
     */
    public void sessionStart(long step) throws IOException {
        writeRecord(sessionStartEvent(step, System.currentTimeMillis() / 1000.0));
    }

    /** Makes what was written so far visible to a reader (TensorBoard polls the file). */
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    static byte[] fileVersionEvent(double wallTime) throws IOException {
        String version = "brain.Event:2";
        byte[] b = new byte[CodedOutputStream.computeDoubleSize(EVENT_WALL_TIME, wallTime)
                + CodedOutputStream.computeStringSize(EVENT_FILE_VERSION, version)];
        CodedOutputStream c = CodedOutputStream.newInstance(b);
        c.writeDouble(EVENT_WALL_TIME, wallTime);
        c.writeString(EVENT_FILE_VERSION, version);
        c.checkNoSpaceLeft();
        return b;
    }

    static byte[] sessionStartEvent(long step, double wallTime) throws IOException {
        int logSize = CodedOutputStream.computeEnumSize(SESSION_LOG_STATUS, SESSION_LOG_START);
        int size = CodedOutputStream.computeDoubleSize(EVENT_WALL_TIME, wallTime)
                + (step != 0 ? CodedOutputStream.computeInt64Size(EVENT_STEP, step) : 0)
                + CodedOutputStream.computeTagSize(EVENT_SESSION_LOG) + CodedOutputStream.computeUInt32SizeNoTag(logSize) + logSize;
        byte[] b = new byte[size];
        CodedOutputStream c = CodedOutputStream.newInstance(b);
        c.writeDouble(EVENT_WALL_TIME, wallTime);
        if (step != 0) {
            c.writeInt64(EVENT_STEP, step);
        }
        c.writeTag(EVENT_SESSION_LOG, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag(logSize);
        c.writeEnum(SESSION_LOG_STATUS, SESSION_LOG_START);
        c.checkNoSpaceLeft();
        return b;
    }

    static byte[] scalarEvent(String tag, long step, float value, double wallTime) throws IOException {
        int valueSize = CodedOutputStream.computeStringSize(VALUE_TAG, tag)
                + CodedOutputStream.computeFloatSize(VALUE_SIMPLE_VALUE, value);
        int summarySize = CodedOutputStream.computeTagSize(SUMMARY_VALUE) + CodedOutputStream.computeUInt32SizeNoTag(valueSize)
                + valueSize;
        // proto3 leaves a zero step out, as protobuf's own serializer does
        int size = CodedOutputStream.computeDoubleSize(EVENT_WALL_TIME, wallTime)
                + (step != 0 ? CodedOutputStream.computeInt64Size(EVENT_STEP, step) : 0)
                + CodedOutputStream.computeTagSize(EVENT_SUMMARY) + CodedOutputStream.computeUInt32SizeNoTag(summarySize)
                + summarySize;
        byte[] b = new byte[size];
        CodedOutputStream c = CodedOutputStream.newInstance(b);
        c.writeDouble(EVENT_WALL_TIME, wallTime);
        if (step != 0) {
            c.writeInt64(EVENT_STEP, step);
        }
        c.writeTag(EVENT_SUMMARY, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag(summarySize);
        c.writeTag(SUMMARY_VALUE, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag(valueSize);
        c.writeString(VALUE_TAG, tag);
        c.writeFloat(VALUE_SIMPLE_VALUE, value);
        c.checkNoSpaceLeft();
        return b;
    }

    /** One TFRecord: the length and the data, each followed by its masked CRC32C. */
    private void writeRecord(byte[] data) throws IOException {
        byte[] len = new byte[8];
        long n = data.length;
        for (int i = 0; i < 8; i++) {
            len[i] = (byte) (n >>> (8 * i));
        }
        out.write(len);
        writeIntLe(maskedCrc32c(len, 0, 8));
        out.write(data);
        writeIntLe(maskedCrc32c(data, 0, data.length));
    }

    private void writeIntLe(int v) throws IOException {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    /** The CRC32C of the bytes, rotated right by 15 bits plus a constant (TFRecord's mask). */
    static int maskedCrc32c(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    /** The host name for the file name, reduced to characters safe in a file name. */
    private static String host() {
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            h = "localhost";
        }
        h = h.replaceAll("[^A-Za-z0-9._-]", "_");
        return h.isEmpty() ? "localhost" : h;
    }
}
