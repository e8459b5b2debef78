// What the other threads of this process do during a measured window: the
// system calls they enter (a perf tracepoint counter on raw_syscalls:sys_enter
// per thread, which needs tracefs and root or kernel.perf_event_paranoid <= 1)
// and the CPU time each spends, by thread name. Benchmarks name their client
// threads kClientThread, so a table can show whether the client was the
// bottleneck.
//
// Start() takes the threads alive at that moment; a thread that starts later
// is not counted. Where the kernel refuses the counter, Syscalls() is -1.
#pragma once

#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xsock/Descriptor.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

inline constexpr const char* kClientThread = "bench-client";

class ThreadCounters {
  public:
    void Start() {
        threads_.clear();
        const long self = ::syscall(SYS_gettid);
        const int tracepoint = SyscallTracepoint();
        DIR* tasks = ::opendir("/proc/self/task");
        if (tasks == nullptr) {
            return;
        }
        while (const dirent* entry = ::readdir(tasks)) {
            const long tid = std::atol(entry->d_name);
            if (tid <= 0 || tid == self) {
                continue;
            }
            Thread thread;
            thread.tid = tid;
            thread.name = Read("/proc/self/task/" + std::to_string(tid) + "/comm");
            thread.cpuStart = CpuTicks(tid);
            if (tracepoint >= 0) {
                thread.counter = OpenCounter(tid, tracepoint);
            }
            threads_.push_back(std::move(thread));
        }
        ::closedir(tasks);
    }

    // Ends the window.
    void Stop() {
        syscalls_ = 0;
        clientCpu_ = 0;
        for (Thread& thread : threads_) {
            const double cpu =
                static_cast<double>(CpuTicks(thread.tid) - thread.cpuStart) / TicksPerSecond();
            if (thread.name.rfind(kClientThread, 0) == 0) {
                clientCpu_ += cpu;
            }
            std::uint64_t count = 0;
            if (!thread.counter ||
                ::read(thread.counter.Get(), &count, sizeof count) != sizeof count) {
                syscalls_ = -1;
            } else if (syscalls_ >= 0) {
                syscalls_ += static_cast<double>(count);
            }
        }
    }

    // System calls entered by the counted threads in the window, or -1.
    double Syscalls() const { return syscalls_; }
    // CPU seconds the client threads spent in the window.
    double ClientCpu() const { return clientCpu_; }

  private:
    struct Thread {
        long tid = 0;
        std::string name;
        long long cpuStart = 0;
        xsock::Descriptor counter;
    };

    static std::string Read(const std::string& path) {
        std::ifstream in(path);
        std::string text;
        std::getline(in, text);
        return text;
    }

    // The tracepoint's id, from tracefs; mounts tracefs first where it is
    // not (perf does the same), which needs root.
    static int SyscallTracepoint() {
        if (Read("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id").empty()) {
            ::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
        }
        for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
            const std::string id = Read(std::string(root) + "/events/raw_syscalls/sys_enter/id");
            if (!id.empty()) {
                return std::atoi(id.c_str());
            }
        }
        return -1;
    }

    static xsock::Descriptor OpenCounter(long tid, int tracepoint) {
        perf_event_attr attr{};
        attr.size = sizeof attr;
        attr.type = PERF_TYPE_TRACEPOINT;
        attr.config = static_cast<std::uint64_t>(tracepoint);
        attr.exclude_hv = 1;
        const long fd = ::syscall(SYS_perf_event_open, &attr, static_cast<pid_t>(tid), -1, -1,
                                  PERF_FLAG_FD_CLOEXEC);
        return xsock::Descriptor(static_cast<int>(fd));
    }

    // utime + stime of a thread, from /proc/self/task/TID/stat (fields 14, 15).
    static long long CpuTicks(long tid) {
        const std::string stat = Read("/proc/self/task/" + std::to_string(tid) + "/stat");
        const std::size_t end = stat.rfind(')');
        if (end == std::string::npos) {
            return 0;
        }
        std::istringstream fields(stat.substr(end + 2));
        std::string field;
        long long ticks = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i >= 14) {
                ticks += std::atoll(field.c_str());
            }
        }
        return ticks;
    }

    static double TicksPerSecond() { return static_cast<double>(::sysconf(_SC_CLK_TCK)); }

    std::vector<Thread> threads_;
    double syscalls_ = -1;
    double clientCpu_ = 0;
};

}  // namespace bench
