// A GTK-style program: a task posted to the loop runs inside a GLib main loop.
#include <xsock/GLib.h>

int main() {
    xsock::SocketLoop loop;
    xsock::GLibAttachment attachment = xsock::AttachToGLib(loop);
    GMainLoop* host = g_main_loop_new(nullptr, FALSE);
    bool ran = false;
    loop.Post([&] {
        ran = true;
        g_main_loop_quit(host);
    });
    g_timeout_add_seconds(
        20,
        [](gpointer data) {
            g_main_loop_quit(static_cast<GMainLoop*>(data));
            return G_SOURCE_REMOVE;
        },
        host);
    g_main_loop_run(host);
    g_main_loop_unref(host);
    return ran ? 0 : 1;
}
