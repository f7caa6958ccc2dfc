package dev.dwjava.train.logging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event files, checked by {@link EventFileReader}, a reader written from the published formats. */
class TensorBoardWriterTest {

    @Test
    void crc32cAndItsMaskMatchKnownAnswers() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xE3069283, EventFileReader.crc32c(check));          // the CRC-32C check value
        // masked: rotate right 15 (0x2507C60D) + 0xa282ead8, computed by hand
        assertEquals(0xC78AB0E5, EventFileReader.mask(0xE3069283));
        assertEquals(0xC78AB0E5, TensorBoardWriter.maskedCrc32c(check, 0, check.length));
        assertEquals(EventFileReader.mask(EventFileReader.crc32c(new byte[0])), TensorBoardWriter.maskedCrc32c(new byte[0], 0, 0));
    }

    @Test
    void scalarEventHasTheBytesOfTheProtobufEncoding() throws IOException {
        // Event{wall_time: 1.5, step: 3, summary{value{tag: "a", simple_value: 2}}}, encoded by hand:
        // 09 <1.5 as LE double> | 10 03 | 2A 0A [0A 08 [0A 01 'a' | 15 <2.0f as LE float>]]
        byte[] expected = HexFormat.of().parseHex("09000000000000f83f" + "1003" + "2a0a" + "0a08" + "0a0161" + "1500000040");
        assertArrayEquals(expected, TensorBoardWriter.scalarEvent("a", 3, 2f, 1.5));
        // Event{wall_time: 1.5, step: 7, session_log{status: START}}: ... | 10 07 | 32 02 [08 01]
        assertArrayEquals(HexFormat.of().parseHex("09000000000000f83f" + "1007" + "32020801"),
                TensorBoardWriter.sessionStartEvent(7, 1.5));
        // proto3 leaves step 0 out
        assertArrayEquals(HexFormat.of().parseHex("09000000000000f83f" + "2a0a0a080a01611500000040"),
                TensorBoardWriter.scalarEvent("a", 0, 2f, 1.5));
    }

    @Test
    void writtenFileDecodesToTheScalars(@TempDir Path tmp) throws IOException {
        double before = System.currentTimeMillis() / 1000.0;
        Path file;
        try (TensorBoardWriter w = TensorBoardWriter.create(tmp.resolve("tf_logs"))) {
            file = w.file();
            w.sessionStart(0);
            w.scalar("train/loss", 0, 2.668);
            w.scalar("train/lr", 20, 1e-5);
            w.scalar("val/bbox_mAP", 1_000_000_000_000L, 0.375, 1234.25);
            w.scalar("train/ünïcode", 7, -3);
        }
        double after = System.currentTimeMillis() / 1000.0;
        assertTrue(file.getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+\\.\\d+\\.0"),
                file.toString());
        List<EventFileReader.Event> all = EventFileReader.read(file);
        assertEquals(6, all.size());
        assertEquals(1, all.get(1).sessionStatus());
        assertEquals(0, all.get(1).step());
        assertTrue(all.get(1).values().isEmpty());
        List<EventFileReader.Event> ev = new java.util.ArrayList<>(all);
        ev.remove(1);
        assertEquals("brain.Event:2", ev.get(0).fileVersion());
        assertTrue(ev.get(0).values().isEmpty());
        assertEquals(0, ev.get(0).sessionStatus());
        assertTrue(ev.get(0).wallTime() >= before - 1e-3 && ev.get(0).wallTime() <= after + 1e-3);
        assertEquals(List.of(new EventFileReader.Scalar("train/loss", 2.668f)), ev.get(1).values());
        assertEquals(0, ev.get(1).step());
        assertEquals(List.of(new EventFileReader.Scalar("train/lr", 1e-5f)), ev.get(2).values());
        assertEquals(20, ev.get(2).step());
        assertEquals(1_000_000_000_000L, ev.get(3).step());
        assertEquals(1234.25, ev.get(3).wallTime());
        assertEquals(List.of(new EventFileReader.Scalar("val/bbox_mAP", 0.375f)), ev.get(3).values());
        assertEquals(List.of(new EventFileReader.Scalar("train/ünïcode", -3f)), ev.get(4).values());
        for (EventFileReader.Event e : ev.subList(1, 5)) {
            assertEquals(null, e.fileVersion());
        }
    }

    @Test
    void aChangedByteFailsItsCrc(@TempDir Path tmp) throws IOException {
        Path file;
        try (TensorBoardWriter w = TensorBoardWriter.create(tmp)) {
            file = w.file();
            w.scalar("train/loss", 5, 1.0);
        }
        byte[] good = Files.readAllBytes(file);
        assertEquals(2, EventFileReader.read(good).size());
        int second = 8 + 4 + firstRecordLength(good) + 4;   // start of record 2
        byte[] data = good.clone();
        data[second + 12 + 3] ^= 0x01;   // inside the scalar event's bytes
        IOException e = assertThrows(IOException.class, () -> EventFileReader.read(data));
        assertEquals("data CRC mismatch at offset " + second, e.getMessage());
        byte[] length = good.clone();
        length[second] ^= 0x04;   // the length of record 2
        e = assertThrows(IOException.class, () -> EventFileReader.read(length));
        assertEquals("length CRC mismatch at offset " + second, e.getMessage());
        byte[] crc = good.clone();
        crc[crc.length - 1] ^= (byte) 0x80;   // the last CRC itself
        assertThrows(IOException.class, () -> EventFileReader.read(crc));
    }

    @Test
    void twoWritersInOneSecondGetTwoFiles(@TempDir Path tmp) throws IOException {
        try (TensorBoardWriter a = TensorBoardWriter.create(tmp); TensorBoardWriter b = TensorBoardWriter.create(tmp)) {
            assertNotEquals(a.file(), b.file());
        }
    }

    private static int firstRecordLength(byte[] b) {
        long n = 0;
        for (int i = 0; i < 8; i++) {
            n |= (long) (b[i] & 0xFF) << (8 * i);
        }
        return (int) n;
    }
}
