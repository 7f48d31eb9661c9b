--
-- TOC entry 7 (class 2615 OID 16866)
-- Name: app; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA app;


ALTER SCHEMA app OWNER TO postgres;

--
-- TOC entry 225 (class 1259 OID 16942)
-- Dependencies: 7
-- Name: measurement; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.measurement (
    id bigint NOT NULL,
    taken_on date NOT NULL
)
PARTITION BY RANGE (taken_on);


ALTER TABLE app.measurement OWNER TO postgres;

--
-- TOC entry 226 (class 1259 OID 16947)
-- Dependencies: 7 225
-- Name: measurement_2025; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.measurement_2025 (
    id bigint NOT NULL,
    taken_on date NOT NULL
);


ALTER TABLE app.measurement_2025 OWNER TO postgres;

--
-- TOC entry 3287 (class 0 OID 0)
-- Dependencies: 226 225
-- Name: measurement_2025; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

-- (the ATTACH statement is missing here)
