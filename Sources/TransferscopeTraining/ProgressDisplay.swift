import Foundation

/// Shows training progress on standard error: a live bar (epoch, step, loss, accuracy,
/// images/s, ETA) redrawn in place on a terminal, plain lines at most every `interval` seconds
/// (and after every epoch) when the output is a file or a pipe.
public final class ProgressDisplay {
    let isTerminal: Bool
    let interval: TimeInterval
    let label: String
    private var lastLine = Date.distantPast
    private var started = Date()
    private var startStep = 0
    private var stepsPerEpoch = 1
    private var totalSteps = 1
    private var epochs = 1

    /// A display prefixing lines with `label`, at most one plain line per `interval` seconds off a terminal.
    public init(label: String = "", interval: TimeInterval = 10, isTerminal: Bool = isatty(2) == 1) {
        self.label = label.isEmpty ? "" : label + " "
        self.interval = interval
        self.isTerminal = isTerminal
    }

    /// Shows `event`: a step redraws the bar (off a terminal, a line per `interval`); other events write a line.
    public func handle(_ event: TrainingEvent) {
        switch event {
        case .started(let epoch, let epochs, let stepsPerEpoch, let totalSteps, let images):
            self.epochs = epochs
            self.stepsPerEpoch = stepsPerEpoch
            self.totalSteps = totalSteps
            startStep = epoch * stepsPerEpoch
            started = Date()
            write(
                epoch == 0
                    ? "\(label)training \(epochs) epochs of \(stepsPerEpoch) steps on \(images) images"
                    : "\(label)resuming after epoch \(epoch) of \(epochs)", newline: true)
        case .step(let m):
            let epoch = min(epochs, Int(m.epoch.rounded(.up)))
            let done = Double(m.step - startStep)
            let elapsed = Date().timeIntervalSince(started)
            let remaining = done > 0 ? elapsed / done * Double(totalSteps - m.step) : 0
            let fraction = Double(m.step) / Double(max(totalSteps, 1))
            let bar = isTerminal ? Self.bar(fraction, width: 20) + " " : ""
            let text = String(
                format: "%@%@epoch %d/%d step %d/%d loss %.4f acc %.1f%% %.0f img/s ETA %@", label, bar, epoch, epochs,
                m.step,
                totalSteps, m.loss, 100 * m.accuracy, m.imagesPerSecond, Self.duration(remaining))
            if isTerminal {
                write(text, newline: false)
            } else if Date().timeIntervalSince(lastLine) >= interval {
                write(text, newline: true)
            }
        case .epochEnded(let m):
            var text = String(
                format: "%@epoch %d/%d: test acc %.2f%% loss %.4f", label, m.epoch, m.epochs, 100 * m.testAccuracy,
                m.testLoss)
            if let accuracy = m.trainAccuracy { text += String(format: ", train acc %.2f%%", 100 * accuracy) }
            text += String(format: " (%.0f s)", m.seconds)
            write(text, newline: true)
        case .alreadyComplete(let summary):
            write(
                String(format: "%@already complete: test acc %.2f%%", label, 100 * summary.finalTestAccuracy),
                newline: true)
        case .finished(let summary):
            write(
                String(
                    format: "%@done in %@: test acc %.2f%% (best %.2f%%)", label, Self.duration(summary.seconds),
                    100 * summary.finalTestAccuracy, 100 * summary.bestTestAccuracy), newline: true)
        }
    }

    private func write(_ text: String, newline: Bool) {
        lastLine = Date()
        let line = isTerminal ? "\r\u{1B}[2K" + text + (newline ? "\n" : "") : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func bar(_ fraction: Double, width: Int) -> String {
        let filled = Int((min(1, max(0, fraction)) * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// `1h02m`, `3m05s` or `42s`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
