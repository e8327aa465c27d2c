import ArgumentParser
import Foundation
import TransferscopeCore
import TransferscopeMPI
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

    /// Runs the command; under an MPI launcher (`mpirun`, `srun`) it first joins the job, and a
    /// failure on any process stops every process with that process's message (no process is
    /// left waiting for one that has stopped).
    static func main() {
        do {
            var command = try parseAsRoot()
            let world = try joinMPIJob(for: command)
            try command.run()
            world?.finalize()
        } catch {
            if let world = MPIProcessGroup.started, world.size > 1, exitCode(for: error) != .success {
                FileHandle.standardError.write(
                    Data("transferscope, MPI rank \(world.rank) of \(world.size): \(fullMessage(for: error))\n".utf8))
                world.abort(code: exitCode(for: error).rawValue)
            }
            MPIProcessGroup.started?.finalize()
            exit(withError: error)
        }
    }

    /// The MPI job this process was started in (MPI initialized here, on the main thread), or nil
    /// when no MPI launcher started it. Only `train` and `study run` split their work over
    /// processes; any other command under a launcher with more than one process is refused, since
    /// every process would do the same work and write the same files.
    static func joinMPIJob(for command: ParsableCommand) throws -> MPIProcessGroup? {
        guard MPIProcessGroup.launchedByMPI() else { return nil }
        guard let world = try MPIProcessGroup.world() else { return nil }
        if world.size > 1 && !(command is TrainCommand || command is StudyCommand.Run) {
            throw RunError(
                "only `transferscope train` and `transferscope study run` run over MPI; run "
                    + "`\(type(of: command).configuration.commandName ?? "this command")` without mpirun/srun "
                    + "(or with -n 1)")
        }
        return world
    }
}
