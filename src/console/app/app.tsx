import { useEffect, useState } from "preact/hooks";

import { type Me, storedKey, storedMe, subscribe } from "./auth";
import { Layout } from "./components/layout";
import { RequestsPage } from "./pages/requests";
import { SessionDetailPage } from "./pages/session-detail";
import { SessionsPage } from "./pages/sessions";
import { SignInPage } from "./pages/sign-in";
import { SpendPage } from "./pages/spend";
import { UsersPage } from "./pages/users";
import { useLocation } from "./router";

function useSignedIn(): Me | null {
  const read = () => (storedKey() ? storedMe() : null);
  const [me, setMe] = useState(read);
  useEffect(() => subscribe(() => setMe(read())), []);
  return me;
}

export interface Page {
  title: string;
  render: () => preact.JSX.Element;
}

function route(path: string, me: Me): Page {
  const session = /^\/sessions\/([^/]+)$/.exec(path);
  if (session) {
    const id = decodeURIComponent(session[1]!);
    return { title: "Session", render: () => <SessionDetailPage me={me} id={id} /> };
  }
  switch (path) {
    case "/":
    case "/sessions":
      return { title: "Sessions", render: () => <SessionsPage me={me} /> };
    case "/requests":
      return { title: "Requests", render: () => <RequestsPage me={me} /> };
    case "/spend":
      return { title: "Spend", render: () => <SpendPage me={me} /> };
    case "/users":
      return {
        title: me.role === "owner" ? "Users and keys" : "API keys",
        render: () => <UsersPage me={me} />,
      };
    default:
      return {
        title: "Not found",
        render: () => (
          <p class="state state-empty" role="status">
            There is no console page at this address.
          </p>
        ),
      };
  }
}

export function App() {
  const me = useSignedIn();
  const { path } = useLocation();
  if (!me) return <SignInPage />;
  const page = route(path, me);
  return (
    <Layout me={me} path={path} title={page.title}>
      {page.render()}
    </Layout>
  );
}
