--
-- TOC entry 100 (class 1259 OID 16401)
-- Name: t; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.t (
    id integer NOT NULL
);

--
-- TOC entry 101 (class 1259 OID 16402)
-- Name: holder; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.holder (
    item app.t
);

--
-- TOC entry 104 (class 1255 OID 16404)
-- Name: t_count(); Type: FUNCTION; Schema: app; Owner: postgres
--

CREATE FUNCTION app.t_count() RETURNS bigint
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT count(*) AS count
    FROM app.t;
END;

--
-- TOC entry 105 (class 1259 OID 16405)
-- Name: uses_count; Type: VIEW; Schema: app; Owner: postgres
--

CREATE VIEW app.uses_count AS
 SELECT app.t_count() AS t_count;
