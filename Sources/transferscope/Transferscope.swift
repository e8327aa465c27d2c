import ArgumentParser
import TransferscopeCore
import TransferscopeTraining

/// The `transferscope` command: what is being transferred in transfer learning?
@main
struct Transferscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transferscope",
        abstract: "Train ResNets on the CPU and analyse what transfer learning transfers.",
        discussion: """
            Models are torchvision-compatible ResNets stored as safetensors checkpoints that load \
            with `model.load_state_dict(safetensors.torch.load_file(path))` in PyTorch.
            """,
        version: "\(TransferscopeVersion.current)\n\(ComputePath.current.summary)",
        subcommands: [
            StudyCommand.self, TrainCommand.self, EvalCommand.self, AnalyzeCommand.self, DataCommand.self,
            ModelCommand.self, DoctorCommand.self,
        ])
}
