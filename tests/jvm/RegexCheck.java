import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies a regex to lines the way Hive's and Trino's RegexSerDe do:
 * {@code Pattern.compile(regex, DOTALL).matcher(line).matches()}, in a thread with a given stack
 * size (Athena's worker threads are not ours to size, so the check uses a small one).
 *
 * <p>Usage: {@code java RegexCheck STACK_KIB REPEAT INPUT OUTPUT}. INPUT is UTF-8 text: the first
 * line is the regex, every later line one log line, each Base64-encoded (log lines may hold any
 * character). OUTPUT gets {@code groups N} (the pattern's groupCount()), then one line per input
 * line: {@code M <nanos> <group>,<group>,...} (each group Base64, {@code !} for a group that did
 * not take part), {@code N <nanos>} for no match, or {@code S <nanos>} for a StackOverflowError.
 * With REPEAT > 1 each line is matched that many times and the fastest time is reported (for
 * benchmarks; the first repetitions also warm up the JIT).
 */
public final class RegexCheck {
    private RegexCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: java RegexCheck STACK_KIB REPEAT INPUT OUTPUT");
            System.exit(2);
        }
        long stackBytes = Long.parseLong(args[0]) * 1024L;
        int repeat = Integer.parseInt(args[1]);
        Path input = Path.of(args[2]);
        Path output = Path.of(args[3]);
        Throwable[] failure = new Throwable[1];
        Thread worker =
                new Thread(
                        null,
                        () -> {
                            try {
                                run(repeat, input, output);
                            } catch (Throwable error) {
                                failure[0] = error;
                            }
                        },
                        "regex-check",
                        stackBytes);
        worker.start();
        worker.join();
        if (failure[0] != null) {
            failure[0].printStackTrace();
            System.exit(1);
        }
    }

    private static void run(int repeat, Path input, Path output) throws IOException {
        Base64.Decoder decoder = Base64.getDecoder();
        Base64.Encoder encoder = Base64.getEncoder();
        List<String> lines = new ArrayList<>();
        String regex;
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            regex = decode(decoder, reader.readLine());
            String encoded;
            while ((encoded = reader.readLine()) != null) {
                lines.add(decode(decoder, encoded));
            }
        }
        Pattern pattern = Pattern.compile(regex, Pattern.DOTALL);
        try (Writer writer =
                new BufferedWriter(
                        new OutputStreamWriter(Files.newOutputStream(output), StandardCharsets.UTF_8))) {
            writer.write("groups " + pattern.matcher("").groupCount() + "\n");
            for (String line : lines) {
                writer.write(check(pattern, line, repeat, encoder));
                writer.write('\n');
            }
        }
    }

    private static String decode(Base64.Decoder decoder, String encoded) {
        return new String(decoder.decode(encoded), StandardCharsets.UTF_8);
    }

    /** The line, counting every character the matcher reads. */
    private static final class CountingSequence implements CharSequence {
        private final String text;
        private long reads;

        CountingSequence(String text) {
            this.text = text;
        }

        @Override
        public char charAt(int index) {
            reads++;
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static long reads(Pattern pattern, String line) {
        CountingSequence counted = new CountingSequence(line);
        try {
            pattern.matcher(counted).matches();
        } catch (StackOverflowError overflow) {
            // reported by the timed run
        }
        return counted.reads;
    }

    private static String check(Pattern pattern, String line, int repeat, Base64.Encoder encoder) {
        long reads = reads(pattern, line);
        long best = Long.MAX_VALUE;
        Matcher matcher = null;
        boolean matched = false;
        for (int i = 0; i < Math.max(repeat, 1); i++) {
            long started = System.nanoTime();
            try {
                matcher = pattern.matcher(line);
                matched = matcher.matches();
            } catch (StackOverflowError overflow) {
                return "S " + (System.nanoTime() - started) + " " + reads;
            }
            best = Math.min(best, System.nanoTime() - started);
        }
        if (!matched) {
            return "N " + best + " " + reads;
        }
        StringBuilder out = new StringBuilder("M ").append(best).append(' ').append(reads).append(' ');
        for (int group = 1; group <= matcher.groupCount(); group++) {
            if (group > 1) {
                out.append(',');
            }
            String value = matcher.group(group);
            out.append(
                    value == null
                            ? "!"
                            : encoder.encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        }
        return out.toString();
    }
}
