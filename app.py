"""Claimed control in Afghanistan — entry point: page router only."""
import streamlit as st

st.set_page_config(page_title="Claimed control — Afghanistan", page_icon="🗺️", layout="wide")

pages = [
    st.Page("pages/map.py", title="Map", icon=":material/map:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/table:", url_path="data"),
]
st.navigation(pages, position="top").run()
