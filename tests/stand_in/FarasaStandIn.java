// STAND-IN, NOT FARASA. The real Farasa jars cannot be obtained here, so the tests compile
// this small program (javac) and run it the way the service runs FarasaSegmenterJar.jar:
// `java -Dfile.encoding=UTF-8 -jar <jar>`, one line in on stdin, one line out on stdout.
// It checks process handling only (start, line protocol, death, restart, hang), not
// segmentation quality: its "segmentation" is a toy that splits a leading و and ال.
//
// Control words (tests only):
//   DIE        exit with status 3 without answering
//   DIE_ONCE   if the file named by $STANDIN_MARKER exists: delete it and exit 4;
//              otherwise answer normally (so a restarted process succeeds)
//   HANG       never answer (sleep)
//   ECHO_PID   answer with this process's pid
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

public class FarasaStandIn {
    static final String WAW = "\u0648";
    static final String AL = "\u0627\u0644";

    static String toy(String w) {
        StringBuilder out = new StringBuilder();
        if (w.startsWith(WAW) && w.length() > 3) {
            out.append(WAW).append('+');
            w = w.substring(1);
        }
        if (w.startsWith(AL) && w.length() > 3) {
            out.append(AL).append('+');
            w = w.substring(2);
        }
        return out.append(w).toString();
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        System.err.println("stand-in: started (not Farasa)");
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            StringBuilder answer = new StringBuilder();
            for (String w : words) {
                if (w.isEmpty()) continue;
                if (w.equals("DIE")) {
                    System.err.println("stand-in: asked to die");
                    System.exit(3);
                }
                if (w.equals("DIE_ONCE")) {
                    String marker = System.getenv("STANDIN_MARKER");
                    if (marker != null && new File(marker).delete()) {
                        System.err.println("stand-in: dying once");
                        System.exit(4);
                    }
                    w = "ok";
                }
                if (w.equals("HANG")) {
                    Thread.sleep(600000);
                }
                if (w.equals("ECHO_PID")) {
                    w = Long.toString(ProcessHandle.current().pid());
                }
                if (answer.length() > 0) answer.append(' ');
                answer.append(toy(w));
            }
            out.println(answer);
        }
    }
}
