// The benchmark floor's only script: report the first paint through the same command as the app.
import { reportPaint } from "./lib/paint";

reportPaint("sign_in");
